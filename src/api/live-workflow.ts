// The environment workflow as Temporal sees it right now. A workflow that was never started is
// normal (nothing was deployed yet); one whose worker is down cannot answer its query, so the
// query is bounded by a deadline and its failure reported beside the rest of the detail.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type pg from 'pg';
import { stateQuery } from '../../workflows/messages.js';
import { pendingOutage } from '../client/pending-outage.js';
import { pendingActivityDetails } from '../client/heartbeat-details.js';
import { findRolloutProgress, type StoredRollout } from '../db/environment-rollout.js';
import { environmentOfWorkflowId } from '../domain/environment-workflow-id.js';
import type { RolloutProgress } from '../domain/vocabulary.js';
import { describeWedge, findWorkflowWedge } from '../client/workflow-wedge.js';
import { rolloutInFlight } from './rollout-in-flight.js';

export interface LiveWorkflow {
  workflow_id: string;
  run_id: string | null;
  status: string;
  state: Record<string, unknown> | null;
  state_error: string | null;
  /** the dependency a step waits for while it is unreachable, e.g. "apply waits for Kubernetes: unreachable since …" */
  waiting_on?: string | null;
  /** while the health step runs: how far each workload rolled out, as the step last wrote or heartbeated it */
  rollout?: RolloutProgress[];
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** With `pool`, the rollout counts are the step's newest (environment_rollout), not its last heartbeat's. */
export async function readLiveWorkflow(client: Client, workflowId: string, timeoutMs: number, pool?: pg.Pool): Promise<LiveWorkflow | null> {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = () => Date.now() + timeoutMs;
  let description: WorkflowExecutionDescription;
  try {
    description = await client.withDeadline(deadline(), () => handle.describe());
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    return { workflow_id: workflowId, run_id: null, status: 'UNKNOWN', state: null, state_error: `could not describe the workflow: ${describeError(error)}` };
  }
  const live = { workflow_id: workflowId, run_id: description.runId, status: description.status.name };
  if (description.status.name !== 'RUNNING') {
    return { ...live, state: null, state_error: `the workflow is ${description.status.name.toLowerCase()}` };
  }
  const wedge = await findWorkflowWedge(handle, description.raw.pendingWorkflowTask?.attempt ?? 0).catch(() => undefined);
  if (wedge) return { ...live, state: null, state_error: describeWedge(wedge) };
  try {
    const [state, pending, stored] = await Promise.all([
      client.withDeadline(deadline(), () => handle.query(stateQuery)),
      pendingActivityDetails(client, description),
      storedRollout(pool, workflowId),
    ]);
    const rollout = rolloutInFlight(description, stored, pending);
    return {
      ...live,
      state: state as unknown as Record<string, unknown>,
      state_error: null,
      waiting_on: pendingOutage(pending) ?? null,
      ...(rollout.length > 0 ? { rollout } : {}),
    };
  } catch (error) {
    return {
      ...live,
      state: null,
      state_error: `no answer to the state query within ${timeoutMs} ms (is a worker polling task queue ${description.taskQueue}?): ${describeError(error)}`,
    };
  }
}

/** The counts the environment's health step last wrote; none when they cannot be read (the heartbeat's serve). */
function storedRollout(pool: pg.Pool | undefined, workflowId: string): Promise<StoredRollout | null> {
  const environment = environmentOfWorkflowId(workflowId);
  if (!pool || !environment) return Promise.resolve(null);
  return findRolloutProgress(pool, environment.project, environment.environment).catch(() => null);
}
