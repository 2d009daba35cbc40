// The validators of the request updates: a request the rules of every door refuse (src/domain/
// request-rules.ts) is refused before the workflow takes it. A refused update leaves no event in
// the history, so the workflow never hears of it; the caller gets an InvalidRequestError-typed
// failure naming each field. The SDK, the API and the CLI check the same rules before sending:
// this is for whoever sends the update some other way. Validators run only when an update
// arrives, never on replay, which is why this lives apart from the modules the replay suite covers.
import { ApplicationFailure } from '@temporalio/workflow';
import { requestProblems, type EnvironmentRequest } from '../src/domain/request-rules.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import type { DeployRequest, RequestMeta } from './messages.js';

/** The failure type a refused request carries; its one detail is the list of problems. */
export const INVALID_REQUEST = 'InvalidRequestError';

function refuse(request: EnvironmentRequest): void {
  const problems = requestProblems(request);
  if (problems.length === 0) return;
  throw ApplicationFailure.create({
    type: INVALID_REQUEST,
    message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
    details: [problems],
    nonRetryable: true,
  });
}

/** Who asks and under which id: the workflow needs both, where the doors let the id default. */
function meta(ref: EnvironmentRef, request: Partial<RequestMeta>): EnvironmentRequest {
  return { ...ref, requestId: request.requestId ?? '', requestedBy: request.requestedBy ?? '', reason: request.reason };
}

export function refuseInvalidDeploy(ref: EnvironmentRef): (request: DeployRequest) => void {
  return (sent) => {
    const request: Partial<DeployRequest> = sent ?? {};
    refuse({ ...meta(ref, request), imageRef: request.imageRef ?? '', valuesOverride: request.valuesOverride });
  };
}

/** A rollback or a stop: only who asks, under which id and why. */
export function refuseInvalidRequest(ref: EnvironmentRef): (request: RequestMeta) => void {
  return (sent) => refuse(meta(ref, sent ?? {}));
}
