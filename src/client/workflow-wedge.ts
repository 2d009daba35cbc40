// A workflow whose tasks keep failing is "wedged": it answers no query and runs no request until
// the worker changes. The usual cause is a workflow code change without patched(), which makes
// the replay of its history fail (TMPRL1100). People look at `deployer status` and the API, not
// at worker logs, so both say so in plain words.
import type { WorkflowHandle } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';

export interface WorkflowWedge {
  /** how many times the current workflow task has been tried */
  attempt: number;
  nondeterministic: boolean;
  /** the first line of the recorded workflow task failure */
  message: string;
}

// temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
const NON_DETERMINISTIC_ERROR = 24;

/** The wedge of a running workflow, or undefined when its workflow tasks are not failing. */
export async function findWorkflowWedge(handle: WorkflowHandle, pendingAttempt?: number): Promise<WorkflowWedge | undefined> {
  const attempt = pendingAttempt ?? (await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0;
  if (attempt < 2) return undefined;
  const history = await handle.fetchHistory();
  const failed = [...(history.events ?? [])].reverse().find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
  // With payload keys the message travels encrypted ("Encoded failure"): decode it as the client does.
  const decoded = failed?.failure
    ? await decodeOptionalFailureToOptionalError(handle.client.options.loadedDataConverter, failed.failure).catch(() => undefined)
    : undefined;
  const message = (decoded?.message ?? failed?.failure?.message ?? 'the workflow task failed (no failure recorded yet)').split('\n')[0]!;
  const nondeterministic = Number(failed?.cause) === NON_DETERMINISTIC_ERROR || /TMPRL1100|nondetermini/i.test(message);
  return { attempt, nondeterministic, message };
}

export function describeWedge(wedge: WorkflowWedge): string {
  return wedge.nondeterministic
    ? `environment wedged by a code change: ${wedge.message} (workflow task attempt ${wedge.attempt}); roll the worker back or add patched()`
    : `workflow tasks failing (attempt ${wedge.attempt}): ${wedge.message}`;
}
