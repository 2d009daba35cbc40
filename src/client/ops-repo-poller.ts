// Reaching the poller of an ops repository branch: starting it (idempotently: one per URL and
// branch, whoever asks first) and asking it to poll now.
import { createHash } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { opsRepoPollerWorkflow } from '../../workflows/ops-repo-poller.js';
import { pollNowSignal } from '../../workflows/ops-repo-poller-messages.js';
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
