// Approves or rejects the request an environment's workflow holds at its approval gate: an update
// of the running workflow, never a start (a workflow that does not run holds nothing). The
// workflow decides whether the decision stands (is that request the one waiting, may this person
// approve it) and says why not; both the API and the SDK send through here.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { EnvironmentRef } from '../domain/vocabulary.js';
import { APPROVAL_REFUSED, approveUpdate, environmentWorkflowId, rejectUpdate, type ApprovalAnswer, type ApprovalDecision } from '../../workflows/messages.js';
import { assertEnvironmentTarget } from './signal-environment.js';
import { workerLacksUpdate } from './request-with-start.js';

export type Decision = 'approve' | 'reject';

/** The workflow refused the decision: not waiting for that request, superseded, or self-approval; `message` is its own. */
export class ApprovalRefusedError extends Error {
  constructor(
    readonly requestId: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalRefusedError';
  }
}

/** No workflow of the environment runs (or its code has no approval gate), so nothing waits for approval. */
export class NotAwaitingApprovalError extends Error {
  constructor(
    readonly requestId: string,
    key: EnvironmentRef,
    why: string,
  ) {
    super(`nothing is waiting for approval in ${key.project}/${key.environment} (request ${requestId}): ${why}`);
    this.name = 'NotAwaitingApprovalError';
  }
}

/**
 * Sends the decision and resolves with the workflow's answer. Rejects with ApprovalRefusedError or
 * NotAwaitingApprovalError as above; with WorkflowUpdateRPCTimeoutOrCancelledError when no worker
 * took it within `timeoutMs`; with Temporal's own error when it cannot be reached. A decision sent
 * again is answered as the first time (its update id is the decision and the request's id).
 */
export async function decideApproval(client: Client, key: EnvironmentRef, decision: Decision, request: ApprovalDecision, { timeoutMs }: { timeoutMs: number }): Promise<ApprovalAnswer> {
  assertEnvironmentTarget(key);
  const handle = client.workflow.getHandle(environmentWorkflowId(key.project, key.environment));
  try {
    return await client.withDeadline(Date.now() + timeoutMs, () =>
      // "#" is no character of a request id, so this id never meets a deploy's (whose update id is its request id).
      handle.executeUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, { args: [request], updateId: `${decision}#${request.requestId}` }),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new NotAwaitingApprovalError(request.requestId, key, 'its workflow is not running');
    if (workerLacksUpdate(error)) throw new NotAwaitingApprovalError(request.requestId, key, 'its workflow runs code without an approval gate');
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === APPROVAL_REFUSED) {
      throw new ApprovalRefusedError(request.requestId, error.cause.message);
    }
    throw error;
  }
}
