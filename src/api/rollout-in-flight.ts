// Which rollout counts to show for a running workflow: those its health step wrote to Postgres when
// they changed (environment_rollout), while that very step is still pending in the workflow's
// description; else those its heartbeat carries, which reach Temporal throttled.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { isRolloutActivity, rolloutProgressIn } from '../client/rollout-progress.js';
import type { PendingActivityDetails } from '../client/heartbeat-details.js';
import type { StoredRollout } from '../db/environment-rollout.js';
import type { RolloutProgress } from '../domain/vocabulary.js';

export function rolloutInFlight(
  description: Pick<WorkflowExecutionDescription, 'runId' | 'raw'>,
  stored: StoredRollout | null,
  heartbeated: PendingActivityDetails[],
): RolloutProgress[] {
  const storedIsInFlight =
    stored !== null &&
    stored.runId === description.runId &&
    (description.raw.pendingActivities ?? []).some((activity) => activity.activityId === stored.activityId && isRolloutActivity(activity.activityType?.name ?? ''));
  return storedIsInFlight ? stored.workloads : rolloutProgressIn(heartbeated);
}
