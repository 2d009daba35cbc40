// What the worker does with a failed workflow task it saw in the runtime's log: one JSON line
// that says which workflow and why, a count by reason, and, for nondeterminism, an entry in the
// record /readyz reads.
import type { Logger } from 'pino';
import { workflowTaskFailuresTotal } from './metrics.js';
import { wedgedWorkflows } from './wedged-workflows.js';
import type { WorkflowTaskFailure } from './workflow-task-failure.js';

export function reportWorkflowTaskFailure(logger: Logger, failure: WorkflowTaskFailure): void {
  workflowTaskFailuresTotal.inc({ reason: failure.reason });
  wedgedWorkflows.noteFailure(failure);
  logger.error(
    { workflowId: failure.workflowId, runId: failure.runId, reason: failure.reason, message: failure.message },
    failure.reason === 'nondeterminism'
      ? 'workflow task failed: the workflow code does not replay its history (a change without patched()?); the workflow is stuck until the worker is rolled back or the change is patched'
      : 'workflow task failed: the workflow code threw; the workflow is stuck until a retry succeeds',
  );
}
