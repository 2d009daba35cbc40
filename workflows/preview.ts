// A release preview as a short workflow: one activity on a worker, which has the ops repo, the
// render sandbox and the cluster. The API and the SDK start it and wait for its answer; it
// changes nothing and keeps no state.
import { proxyActivities } from '@temporalio/workflow';
import { userErrorTypes, type DeployerActivities } from '../activities/types.js';
import type { ReleasePreview, ReleasePreviewRequest } from '../src/domain/release-preview.js';

const { previewRelease } = proxyActivities<Pick<DeployerActivities, 'previewRelease'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  // Someone waits for the answer: a few quick tries, and a template error is no reason to retry.
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 3, nonRetryableErrorTypes: [...userErrorTypes] },
});

export async function previewWorkflow(request: ReleasePreviewRequest): Promise<ReleasePreview> {
  return previewRelease(request);
}
