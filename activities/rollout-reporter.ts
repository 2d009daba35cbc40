// Hands the rollout's counts, as they change, to whoever shows them (the environment's page, through
// environment_rollout): one write at a time and only the newest, never awaited by the wait for
// health, so a slow or unreachable Postgres does not hold a release back, and a write it missed is
// made good by the next change.
import { environmentOfWorkflowId } from '../src/domain/environment-workflow-id.js';
import type { RolloutReport } from '../src/db/environment-rollout.js';
import type { RolloutProgress } from '../src/domain/vocabulary.js';

export type ReportRollout = (report: RolloutReport) => Promise<void>;

/** What the reporter needs of the activity's info: whose step this is. */
export interface RolloutStep {
  /** absent for an activity run outside a workflow */
  workflowExecution?: { readonly workflowId: string; readonly runId: string };
  activityId: string;
}

export function rolloutReporter(report: ReportRollout | undefined, step: RolloutStep, onError: (error: unknown) => void): (workloads: RolloutProgress[]) => void {
  const execution = step.workflowExecution;
  const environment = execution && environmentOfWorkflowId(execution.workflowId);
  if (!report || !execution || !environment) return () => undefined;
  const source = { ...environment, runId: execution.runId, activityId: step.activityId };
  let handedOver = '';
  let newest: RolloutProgress[] | undefined;
  let writing = false;
  const drain = async () => {
    writing = true;
    while (newest) {
      const workloads = newest;
      newest = undefined;
      await report({ ...source, workloads }).catch(onError);
    }
    writing = false;
  };
  return (workloads) => {
    const counts = JSON.stringify(workloads);
    if (counts === handedOver) return;
    handedOver = counts;
    newest = workloads;
    if (!writing) void drain();
  };
}
