// The cluster watcher: one per task queue, kept alive by Temporal rather than by any one worker.
// Its activity watches every object the deployer manages and signals environments that drifted;
// when the worker running it dies, the heartbeat timeout hands it to another worker, which
// resumes from the last heartbeat. Every half hour it continues as new, carrying what it knows.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ClusterWatchResume } from '../activities/cluster-watch.js';
import type { ClusterWatchActivities } from '../activities/types.js';
import { backgroundTaskQueue } from './messages.js';

const RUN_MS = 30 * 60_000;

function watcherActivities() {
  return proxyActivities<ClusterWatchActivities>({
    // With the other background work, never in the way of a deploy.
    taskQueue: backgroundTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: RUN_MS + 5 * 60_000,
    // A dead watcher is replaced this fast; it heartbeats every few seconds.
    heartbeatTimeout: '20 seconds',
    // Never give up: an API server outage is waited out, however long.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
}

export async function clusterWatcherWorkflow(resume?: ClusterWatchResume): Promise<void> {
  const result = await watcherActivities().watchManagedObjects({ maxRunMs: RUN_MS, resume });
  await continueAsNew<typeof clusterWatcherWorkflow>(result.resume);
}
