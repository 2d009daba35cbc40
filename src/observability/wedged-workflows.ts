// The workflows this worker recently failed to replay because its workflow code no longer matches
// their history: what the worker's /readyz names, so that a rollout of a worker version that
// wedges environments stops on readiness instead of replacing every healthy worker.
import type { WorkflowTaskFailure } from './workflow-task-failure.js';

export interface WedgedWorkflow {
  workflowId: string;
  runId: string;
  /** the failure's message, e.g. "[TMPRL1100] Nondeterminism error: …" */
  error: string;
  /** failed workflow tasks seen for it in this process */
  failures: number;
  firstFailedAt: string;
  lastFailedAt: string;
}

// The server retries a failing workflow task with a backoff that grows to 10 minutes: a window
// longer than that keeps a still-wedged workflow listed between two attempts. The core runtime
// logs no successful task at the levels the worker runs with, so time is what clears an entry
// (a workflow that was reset or terminated stops failing).
export const wedgedWindowMs = 15 * 60_000;
const maxTracked = 1_000;

export class WedgedWorkflows {
  private readonly byWorkflow = new Map<string, WedgedWorkflow & { lastFailedAtMs: number }>();

  constructor(private readonly windowMs = wedgedWindowMs) {}

  /** Notes a failed workflow task; only nondeterminism wedges a workflow for good. */
  noteFailure(failure: WorkflowTaskFailure, now = Date.now()): void {
    if (failure.reason !== 'nondeterminism') return;
    const workflowId = failure.workflowId ?? `(run ${failure.runId})`;
    const at = new Date(now).toISOString();
    const known = this.byWorkflow.get(workflowId);
    this.byWorkflow.delete(workflowId);
    this.byWorkflow.set(workflowId, {
      workflowId,
      runId: failure.runId,
      error: failure.message,
      failures: (known?.failures ?? 0) + 1,
      firstFailedAt: known?.firstFailedAt ?? at,
      lastFailedAt: at,
      lastFailedAtMs: now,
    });
    // Oldest first (re-inserted on every failure): past the bound, the least recent go.
    for (const oldest of this.byWorkflow.keys()) {
      if (this.byWorkflow.size <= maxTracked) break;
      this.byWorkflow.delete(oldest);
    }
  }

  /** The workflows with a nondeterminism failure within the window, most recent first. */
  list(now = Date.now()): WedgedWorkflow[] {
    for (const [workflowId, entry] of this.byWorkflow) {
      if (now - entry.lastFailedAtMs > this.windowMs) this.byWorkflow.delete(workflowId);
    }
    return [...this.byWorkflow.values()].reverse().map(({ lastFailedAtMs: _, ...wedged }) => wedged);
  }
}

/** The worker process's record, fed by the runtime logger and read by /readyz. */
export const wedgedWorkflows = new WedgedWorkflows();
