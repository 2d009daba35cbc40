// Every worker makes sure its task queue has a cluster watcher: the first to start creates the
// workflow, the others find it running. Temporal, not a worker, keeps it alive from then on.
import type { Client } from '@temporalio/client';
import { clusterWatcherWorkflowId } from '../../workflows/messages.js';

export async function ensureClusterWatcher(client: Client, taskQueue: string): Promise<void> {
  await client.workflow.start('clusterWatcherWorkflow', {
    workflowId: clusterWatcherWorkflowId(taskQueue),
    taskQueue,
    args: [],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
