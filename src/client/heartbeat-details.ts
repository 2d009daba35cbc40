// Heartbeat details of a workflow's pending activities, as the workflow's description carries them:
// still encoded, so they are decoded with the client's own converter (encrypted when payload keys
// are set). A payload that does not decode is skipped: details of another shape or another key.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';

export interface PendingActivityDetails {
  activityType: string;
  details: unknown;
}

export async function pendingActivityDetails(client: Client, description: Pick<WorkflowExecutionDescription, 'raw'>): Promise<PendingActivityDetails[]> {
  const found: PendingActivityDetails[] = [];
  for (const activity of description.raw.pendingActivities ?? []) {
    const payloads = activity.heartbeatDetails?.payloads;
    if (!payloads?.length) continue;
    try {
      const details = await decodeFromPayloadsAtIndex<unknown>(client.options.loadedDataConverter, 0, payloads);
      found.push({ activityType: activity.activityType?.name ?? '', details });
    } catch {
      continue;
    }
  }
  return found;
}
