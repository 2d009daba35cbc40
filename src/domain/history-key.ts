// A history row's idempotency key: the environment workflow's ID, its run's ID and the number of
// the operation within that run. A retried write of the row carries the same key and updates the
// row instead of adding one; the dashboard reads the run back out of it to link the row to that
// run in the Temporal UI.
export function historyKey(workflowId: string, runId: string, operation: number): string {
  return `${workflowId}/${runId}/${operation}`;
}

// Temporal's run IDs are UUIDs; rows written any other way (imports, tests) name no run.
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The run that wrote the row of `key`, when the key names one. */
export function runIdOfHistoryKey(key: string): string | undefined {
  const parts = key.split('/');
  const runId = parts.at(-2);
  return parts.length >= 3 && runId !== undefined && RUN_ID.test(runId) ? runId : undefined;
}
