// Reaching the poller of an ops repository branch: starting it (idempotently: one per URL and
// branch, whoever asks first), asking it to poll now, and syncing: polling now and waiting for the
// outcome, which is how the API and the CLI fetch a branch (they never run git themselves).
import { createHash } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { opsRepoPollerWorkflow } from '../../workflows/ops-repo-poller.js';
import { pollNowSignal, syncNowUpdate, type SyncNowResult } from '../../workflows/ops-repo-poller-messages.js';
import { TASK_QUEUE } from '../../workflows/messages.js';

export interface PollerTarget {
  url: string;
  branch: string;
  /** task queue of the worker that runs it (default: the deployer's) */
  taskQueue?: string;
}

/**
 * The poller's workflow id: a hash, because a URL may hold characters an id should not, and the pair
 * must map to one id whichever ops repo row (or webhook) asks for it.
 */
export function opsRepoPollerId(url: string, branch: string): string {
  return `ops-repo/${createHash('sha256').update(`${url}\n${branch}`, 'utf8').digest('hex').slice(0, 16)}`;
}

function startOptions({ url, branch, taskQueue }: PollerTarget) {
  return {
    workflowId: opsRepoPollerId(url, branch),
    taskQueue: taskQueue ?? TASK_QUEUE,
    args: [{ url, branch }] as [{ url: string; branch: string }],
    staticSummary: `Poller of ${branch} in ${url}`,
    staticDetails: `Fetches branch **${branch}** of \`${url}\` every sync interval (or at once on a push webhook) and tells the environments whose files changed to reconcile.`,
  };
}

/** Starts the poller unless it runs already. */
export async function startOpsRepoPoller(client: Client, target: PollerTarget): Promise<WorkflowHandleWithFirstExecutionRunId<typeof opsRepoPollerWorkflow>> {
  return client.workflow.start(opsRepoPollerWorkflow, { ...startOptions(target), workflowIdConflictPolicy: 'USE_EXISTING' });
}

/** Asks the poller to poll at once, starting it when it does not run. */
export async function pollOpsRepoNow(client: Client, target: PollerTarget, reason: string): Promise<WorkflowHandle<typeof opsRepoPollerWorkflow>> {
  return client.workflow.signalWithStart(opsRepoPollerWorkflow, { ...startOptions(target), signal: pollNowSignal, signalArgs: [{ reason }] });
}

/** How long a sync waits for a worker to take it and for its poll to finish, unless told otherwise. */
export const DEFAULT_SYNC_TIMEOUT_MS = 60_000;

/** A sync the poller did not answer in time; the poll may still run, and records its head when it does. */
export class SyncNotAnswered extends Error {
  constructor(
    /** `no_worker`: no worker took the request; `poll_unfinished`: one did, but its poll did not finish */
    readonly reason: 'no_worker' | 'poll_unfinished',
    message: string,
  ) {
    super(message);
    this.name = 'SyncNotAnswered';
  }
}

/**
 * Asks the poller of the branch to poll now (update-with-start: a poller that does not run is
 * started) and waits for that poll's outcome, at most `timeoutMs` in all. Rejects with
 * SyncNotAnswered when no worker took the request or its poll did not finish in time.
 */
export async function syncOpsRepoNow(client: Client, target: PollerTarget, reason: string, options: { timeoutMs?: number } = {}): Promise<SyncNowResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const within = `within ${timeoutMs / 1000} s`;
  const startWorkflowOperation = new WithStartWorkflowOperation(opsRepoPollerWorkflow, { ...startOptions(target), workflowIdConflictPolicy: 'USE_EXISTING' });
  let update: WorkflowUpdateHandle<SyncNowResult>;
  try {
    // Accepted means a worker ran the poller's handler: the deadline running out before is "no worker".
    update = await client.withDeadline(deadline, () =>
      client.workflow.startUpdateWithStart(syncNowUpdate, { args: [{ reason }], waitForStage: 'ACCEPTED', startWorkflowOperation }),
    );
  } catch (error) {
    if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw error;
    const taskQueue = target.taskQueue ?? TASK_QUEUE;
    throw new SyncNotAnswered('no_worker', `no worker answered ${within}: is a deployer worker running on task queue "${taskQueue}" (and Temporal reachable)?`);
  }
  try {
    return await client.withDeadline(deadline, () => update.result());
  } catch (error) {
    if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw error;
    throw new SyncNotAnswered(
      'poll_unfinished',
      `the poll of ${target.branch} in ${target.url} did not finish ${within}; it records the head when it does (poller ${update.workflowId})`,
    );
  }
}
