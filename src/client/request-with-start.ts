// A deploy, rollback or stop sent as an update-with-start: the environment's workflow is started
// when it does not run, and the caller learns, once a worker took the update, that the request was
// taken (and its position) or why it was refused. Where the server does not offer
// update-with-start (ExecuteMultiOperation disabled or missing), no worker takes the update in time
// (workers down: an update needs one, a signal does not), or the worker runs code from before the
// update (a rolling upgrade), the request goes as the signal of the same name with the same
// request id instead, which the workflow accepts whenever it runs next; should the update land as
// well, the repeated id is ignored.
import { isGrpcServiceError, WithStartWorkflowOperation, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidRequestError, type RequestProblem } from '../domain/request-rules.js';
import { environmentWorkflow } from '../../workflows/environment.js';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { RequestMeta } from '../../workflows/messages.js';
import { INVALID_REQUEST } from '../../workflows/request-validator.js';
import type { RequestAcceptance } from '../../workflows/state.js';
import { assertEnvironmentTarget, environmentStartOptions, signalEnvironment, type EnvironmentTarget } from './signal-environment.js';

export interface RequestSent {
  workflowId: string;
  /** the workflow's answer; absent when the request went as a signal */
  acceptance?: RequestAcceptance;
}

/** A request as an update and, where that cannot be, as a signal: deployUpdate and deploySignal, … */
export interface RequestMessages<Request extends RequestMeta> {
  update: UpdateDefinition<RequestAcceptance, [Request]>;
  signal: SignalDefinition<[Request]>;
}

/** A request the workflow's validator refused: the same InvalidRequestError the SDK raises before sending. */
function refusal(error: unknown): InvalidRequestError | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== INVALID_REQUEST) return undefined;
  const problems = cause.details?.[0] as RequestProblem[] | undefined;
  return new InvalidRequestError(Array.isArray(problems) && problems.length > 0 ? problems : [{ field: 'request', message: cause.message }]);
}

/** The workflow's code has no deploy update yet (a worker not upgraded): it rejects it by name. */
export function workerLacksUpdate(error: unknown): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && /^No registered handler for update/.test(error.cause.message);
}

/**
 * The server refuses update-with-start: UNIMPLEMENTED (too old), or PERMISSION_DENIED because
 * `frontend.enableExecuteMultiOperation` is off.
 */
export function updateWithStartUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (isGrpcServiceError(current) && (current.code === 12 || (current.code === 7 && /ExecuteMultiOperation/i.test(`${current.message} ${current.details}`)))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export async function requestWithStart<Request extends RequestMeta>(
  client: Client,
  target: EnvironmentTarget,
  messages: RequestMessages<Request>,
  request: Request,
  { acceptTimeoutMs }: { acceptTimeoutMs: number },
): Promise<RequestSent> {
  assertEnvironmentTarget(target);
  const startWorkflowOperation = new WithStartWorkflowOperation(environmentWorkflow, { ...environmentStartOptions(client, target), workflowIdConflictPolicy: 'USE_EXISTING' });
  try {
    // The request id is the update id: Temporal answers a resent update of the run with the first
    // answer, however long ago, where the workflow's own check (its bounded log) could have
    // forgotten the id and taken the request again.
    const acceptance = await client.withDeadline(Date.now() + acceptTimeoutMs, () =>
      client.workflow.executeUpdateWithStart(messages.update, { args: [request], updateId: request.requestId, startWorkflowOperation }),
    );
    return { workflowId: environmentStartOptions(client, target).workflowId, acceptance };
  } catch (error) {
    const refused = refusal(error);
    if (refused) throw refused;
    if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) && !updateWithStartUnavailable(error) && !workerLacksUpdate(error)) throw error;
    const handle = await signalEnvironment(client, target, messages.signal, request);
    return { workflowId: handle.workflowId };
  }
}
