// deployer_pending_requests: environments with a request waiting in their pending slot. The
// workflows report each change through a sink (workflows/sinks.ts) to the worker process they run
// on, and a scrape reads the count from memory: no query to any workflow, however many there are.
// The gauge joins the process's registry once a workflow reports to it, so an API server without a
// worker does not show a count it cannot know. One tracker per process, whatever its workers.
import type { InjectedSinks } from '@temporalio/worker';
import type { EnvironmentSinks } from '../../workflows/sinks.js';
import { pendingRequests, registry } from './metrics.js';

export class PendingRequests {
  private readonly waiting = new Set<string>();
  private registered = false;

  report(workflowId: string, waiting: boolean): void {
    if (!this.registered) {
      registry.registerMetric(pendingRequests);
      this.registered = true;
    }
    if (waiting) this.waiting.add(workflowId);
    else this.waiting.delete(workflowId);
    pendingRequests.set(this.waiting.size);
  }

  /**
   * The sink the worker injects. Replays report too: a worker that takes over a workflow (after a
   * restart, or from another worker) learns its slot from the replay, not only from its next change.
   */
  sinks(): { environments: Pick<InjectedSinks<EnvironmentSinks>['environments'], 'pending'> } {
    return { environments: { pending: { fn: (info, waiting) => this.report(info.workflowId, waiting), callDuringReplay: true } } };
  }
}

/** The process's tracker: every worker of the process reports to it (src/worker-tuning.ts). */
export const pendingRequestsTracker = new PendingRequests();
