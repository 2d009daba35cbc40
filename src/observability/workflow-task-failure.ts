// Recognises a failed workflow task in the Temporal runtime's log. Every workflow task failure —
// a nondeterminism error found by core while replaying, an error thrown by workflow code, an
// activation the worker could not process — ends in core's warning "Failing workflow task",
// forwarded to the runtime logger with the run id, the workflow id (from core's span) and the
// failure as Rust debug text. This is the one place that reads that entry.

export type WorkflowTaskFailureReason = 'nondeterminism' | 'workflow_error';

export interface WorkflowTaskFailure {
  workflowId?: string;
  runId: string;
  reason: WorkflowTaskFailureReason;
  /** the failure's message, e.g. "[TMPRL1100] Nondeterminism error: …" */
  message: string;
}

const failingWorkflowTask = 'Failing workflow task';
// Core marks the nondeterminism it detects with the forced cause and the TMPRL1100 code; the
// TypeScript sandbox's own determinism checks throw a NondeterminismError.
const nondeterminism = /force_cause: NonDeterministicError|\bTMPRL1100\b|\bNondeterminismError\b/;
const firstMessage = /\bmessage: "((?:[^"\\]|\\.)*)"/;
const maxMessageLength = 2_000;

/** The workflow task failure a runtime log entry reports, or undefined for any other entry. */
export function workflowTaskFailureOf(message: string, meta: Record<string, unknown> | undefined): WorkflowTaskFailure | undefined {
  if (message !== failingWorkflowTask || !meta) return undefined;
  const runId = typeof meta.runId === 'string' ? meta.runId : typeof meta.run_id === 'string' ? meta.run_id : undefined;
  if (!runId) return undefined;
  const failure = typeof meta.failure === 'string' ? meta.failure : '';
  const workflowId = typeof meta.workflowId === 'string' ? meta.workflowId : typeof meta.workflow_id === 'string' ? meta.workflow_id : undefined;
  return {
    ...(workflowId ? { workflowId } : {}),
    runId,
    reason: nondeterminism.test(failure) ? 'nondeterminism' : 'workflow_error',
    message: failureMessage(failure).slice(0, maxMessageLength),
  };
}

/** The message of a failure in Rust debug text (`Failure { message: "…", … }`), else the text itself. */
function failureMessage(failure: string): string {
  const quoted = firstMessage.exec(failure)?.[1];
  if (quoted === undefined) return failure || 'workflow task failed (no failure details)';
  try {
    // Rust's debug escapes of a string are JSON's, except \u{…} and \'.
    const json = quoted.replace(/\\(u\{([0-9a-fA-F]{1,6})\}|'|.)/g, (escape: string, what: string, hex?: string) =>
      hex ? JSON.stringify(String.fromCodePoint(parseInt(hex, 16))).slice(1, -1) : what === "'" ? "'" : escape,
    );
    return JSON.parse(`"${json}"`) as string;
  } catch {
    return quoted;
  }
}
