// How the ops repo poller and the cluster watcher tell an environment to reconcile: a plain signal
// to its running workflow. An environment without one has nothing deployed to reconcile, so it is
// not started for this. Each deployer (task queue) reconciles only its own environments: the
// watcher of another one, sharing the cluster and the Temporal namespace, sees the same objects.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalReconcile } from '../domain/reconcile.js';
import { environmentWorkflowId, reconcileSignal } from '../../workflows/messages.js';

// Which task queue each environment's workflow runs on, as last described; runs move rarely.
const TASK_QUEUE_TTL_MS = 5 * 60_000;

export function reconcileSignaller(client: Client, taskQueue: string): SignalReconcile {
  const queues = new Map<string, { taskQueue: string; at: number }>();
  return async ({ project, environment }, request) => {
    const handle = client.workflow.getHandle(environmentWorkflowId(project, environment));
    try {
      let known = queues.get(handle.workflowId);
      if (!known || Date.now() - known.at > TASK_QUEUE_TTL_MS) {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') return false;
        known = { taskQueue: description.taskQueue, at: Date.now() };
        queues.set(handle.workflowId, known);
      }
      if (known.taskQueue !== taskQueue) return false;
      await handle.signal(reconcileSignal, request);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        queues.delete(handle.workflowId);
        return false;
      }
      throw error;
    }
  };
}
