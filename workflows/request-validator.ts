// The validators of the request updates: a request the rules of every door refuse (src/domain/
// request-rules.ts) is refused before the workflow takes it. A refused update leaves no event in
// the history, so the workflow never hears of it; the caller gets an InvalidRequestError-typed
// failure naming each field. The SDK, the API and the CLI check the same rules before sending:
// this is for whoever sends the update some other way. Validators run only when an update
// arrives, never on replay, which is why this lives apart from the modules the replay suite covers.
import { ApplicationFailure } from '@temporalio/workflow';
import { REQUEST_ID_PATTERN, REQUEST_ID_RULE, requestProblems, TEXT_RULE, textProblem, type EnvironmentRequest } from '../src/domain/request-rules.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import { approvalRefusal } from './gates.js';
import { APPROVAL_REFUSED, type ApprovalDecision, type DeployRequest, type RequestMeta } from './messages.js';
import type { CarriedState } from './state.js';

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

/**
 * An approve or reject: who decides must be named, and the workflow's state must allow it (only the
 * request waiting, once, before it expires, never self-approved unless the policy allows).
 */
/** `run`: what holds the workflow's state, read when the update arrives. */
export function refuseApprovalDecision(run: { readonly state: CarriedState }, approve: boolean): (decision: ApprovalDecision) => void {
  return (sent) => {
    const decision: Partial<ApprovalDecision> = sent ?? {};
    const problems = [
      typeof decision.requestId === 'string' && REQUEST_ID_PATTERN.test(decision.requestId) ? undefined : { field: 'requestId', message: REQUEST_ID_RULE },
      textProblem(decision.decidedBy) === undefined ? undefined : { field: 'decidedBy', message: TEXT_RULE },
      decision.reason === undefined || textProblem(decision.reason) === undefined ? undefined : { field: 'reason', message: TEXT_RULE },
    ].filter((problem) => problem !== undefined);
    if (problems.length > 0) {
      throw ApplicationFailure.create({ type: INVALID_REQUEST, message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), details: [problems], nonRetryable: true });
    }
    const refusal = approvalRefusal(run.state, decision as ApprovalDecision, approve, Date.now());
    if (refusal) throw ApplicationFailure.create({ type: APPROVAL_REFUSED, message: refusal, nonRetryable: true });
  };
}
