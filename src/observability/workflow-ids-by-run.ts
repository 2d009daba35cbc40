// Which workflow a run belongs to, learnt from the runtime's log entries that carry both ids.
// Core's "Failing workflow task" names only the run when the failure came from workflow code;
// the worker's own entries for the activations before it ("Completed activation", at trace
// level) name the workflow too.

const maxRuns = 5_000;

export class WorkflowIdsByRun {
  private readonly byRun = new Map<string, string>();

  constructor(private readonly capacity = maxRuns) {}

  /** Remembers the run's workflow if the entry's metadata names both. */
  learn(meta: Record<string, unknown> | undefined): void {
    if (!meta) return;
    const workflowId = meta.workflowId;
    const runId = meta.runId ?? meta.workflowRunId;
    if (typeof workflowId !== 'string' || typeof runId !== 'string') return;
    if (this.byRun.get(runId) === workflowId) return;
    this.byRun.delete(runId);
    this.byRun.set(runId, workflowId);
    // Insertion order is learning order: past the bound, the runs learnt longest ago go.
    for (const oldest of this.byRun.keys()) {
      if (this.byRun.size <= this.capacity) break;
      this.byRun.delete(oldest);
    }
  }

  workflowIdOf(runId: string): string | undefined {
    return this.byRun.get(runId);
  }
}
