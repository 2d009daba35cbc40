// While a step waits out an outage of Postgres, Kubernetes or git, its heartbeat details say so
// (`outage`, or `unavailable` for the wait for health). The workflow cannot see heartbeat details,
// so clients read them from the workflow's description to tell people what the release waits for.
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowExecutionDescription } from '@temporalio/client';

interface OutageDetails {
  outage?: { dependency?: string; since?: number; error?: string };
  unavailable?: { since?: number; error?: string };
}

/** "apply waits for Kubernetes: unreachable since T (error)", or undefined when no step is waiting. */
export function pendingOutage(description: Pick<WorkflowExecutionDescription, 'raw'>): string | undefined {
  for (const activity of description.raw.pendingActivities ?? []) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    let details: OutageDetails | undefined;
    try {
      details = defaultPayloadConverter.fromPayload<OutageDetails>(payload);
    } catch {
      continue; // details of another shape: not an outage
    }
    const outage = details?.outage ?? (details?.unavailable ? { dependency: 'Kubernetes', ...details.unavailable } : undefined);
    if (!outage || typeof outage.since !== 'number') continue;
    const step = activity.activityType?.name ?? 'a step';
    return `${step} waits for ${outage.dependency ?? 'a dependency'}: unreachable since ${new Date(outage.since).toISOString()} (${outage.error ?? 'no answer'})`;
  }
  return undefined;
}
