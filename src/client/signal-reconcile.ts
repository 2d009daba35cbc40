// How the ops repo poller and the cluster watcher tell an environment to reconcile: a plain signal
// to its running workflow. An environment without one has nothing deployed to reconcile, so it is
// not started for this.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalReconcile } from '../domain/reconcile.js';
import { environmentWorkflowId, reconcileSignal } from '../../workflows/messages.js';

export function reconcileSignaller(client: Client): SignalReconcile {
  return async ({ project, environment }, request) => {
    try {
      await client.workflow.getHandle(environmentWorkflowId(project, environment)).signal(reconcileSignal, request);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };
}
