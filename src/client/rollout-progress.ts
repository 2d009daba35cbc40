// How far the in-flight rollout got, read from the heartbeat of the activity that waits for it
// (activities/health.ts heartbeats RolloutHeartbeat). Shared by the client (the CLI's progress
// line) and the API's live view (the dashboard), so both read the same details the same way.
import type { RolloutProgress } from '../domain/vocabulary.js';
import type { PendingActivityDetails } from './heartbeat-details.js';

// rollOutRelease waits for the rollout as waitForRollout did, and heartbeats the same details.
const ROLLOUT_ACTIVITIES = new Set(['waitForRollout', 'rollOutRelease']);

/** Whether an activity of this type waits for a rollout (and heartbeats its counts). */
export function isRolloutActivity(activityType: string): boolean {
  return ROLLOUT_ACTIVITIES.has(activityType);
}

/** The workloads' counts the rollout activity last reported; empty when no rollout is running. */
export function rolloutProgressIn(pending: PendingActivityDetails[]): RolloutProgress[] {
  for (const { activityType, details } of pending) {
    if (!isRolloutActivity(activityType)) continue;
    const workloads = (details as { workloads?: unknown } | null | undefined)?.workloads;
    return Array.isArray(workloads) ? (workloads as RolloutProgress[]) : [];
  }
  return [];
}
