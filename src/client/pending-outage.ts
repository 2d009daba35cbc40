// While a step waits out an outage of Postgres, Kubernetes or git, its heartbeat details say so
// (`outage`, or `unavailable` for the wait for health). The workflow cannot see heartbeat details,
// so clients read them from the workflow's description to tell people what the release waits for.
import type { PendingActivityDetails } from './heartbeat-details.js';

interface OutageDetails {
  outage?: { dependency?: string; since?: number; error?: string };
  unavailable?: { since?: number; error?: string };
}

/** "apply waits for Kubernetes: unreachable since T (error)", or undefined when no step is waiting. */
export function pendingOutage(pending: PendingActivityDetails[]): string | undefined {
  for (const { activityType, details: raw } of pending) {
    const details = (raw && typeof raw === 'object' ? raw : {}) as OutageDetails;
    const outage = details.outage ?? (details.unavailable ? { dependency: 'Kubernetes', ...details.unavailable } : undefined);
    if (!outage || typeof outage.since !== 'number') continue;
    const step = activityType || 'a step';
    return `${step} waits for ${outage.dependency ?? 'a dependency'}: unreachable since ${new Date(outage.since).toISOString()} (${outage.error ?? 'no answer'})`;
  }
  return undefined;
}
