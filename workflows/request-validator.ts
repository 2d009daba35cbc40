// The deploy update's validator: a deploy the rules of every door refuse (src/domain/
// request-rules.ts) is refused before the workflow takes it. A refused update leaves no event in
// the history, so the workflow never hears of it; the caller gets an InvalidRequestError-typed
// failure naming each field. The SDK, the API and the CLI check the same rules before sending:
// this is for whoever sends the update some other way. Validators run only when an update
// arrives, never on replay, which is why this lives apart from the modules the replay suite covers.
import { ApplicationFailure } from '@temporalio/workflow';
import { requestProblems } from '../src/domain/request-rules.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import type { DeployRequest } from './messages.js';

/** The failure type a refused request carries; its one detail is the list of problems. */
export const INVALID_REQUEST = 'InvalidRequestError';

export function refuseInvalidDeploy(ref: EnvironmentRef): (request: DeployRequest) => void {
  return (sent) => {
    const request: Partial<DeployRequest> = sent ?? {};
    const problems = requestProblems({
      ...ref,
      // The workflow needs each of these, where the doors let some default.
      imageRef: request.imageRef ?? '',
      requestId: request.requestId ?? '',
      requestedBy: request.requestedBy ?? '',
      reason: request.reason,
      valuesOverride: request.valuesOverride,
    });
    if (problems.length === 0) return;
    throw ApplicationFailure.create({
      type: INVALID_REQUEST,
      message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      details: [problems],
      nonRetryable: true,
    });
  };
}
