// Prometheus metrics of the deployer. One registry per process: the worker counts what the
// workflows did (through the record activity, once per history row), activity failures and the
// workflow tasks it failed (read from the Temporal runtime's log); the API adds the pending
// requests it sees at scrape time.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'deployer_' });

export const deploymentsTotal = new client.Counter({
  name: 'deployer_deployments_total',
  help: 'Deployments that ended, by action (deploy, rollback, auto-rollback) and outcome (healthy, failed, cancelled).',
  labelNames: ['action', 'outcome'] as const,
  registers: [registry],
});

export const deploymentDurationSeconds = new client.Histogram({
  name: 'deployer_deployment_duration_seconds',
  help: 'Time from the start of a deployment to its end, by action and outcome.',
  labelNames: ['action', 'outcome'] as const,
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

export const driftCorrectionsTotal = new client.Counter({
  name: 'deployer_drift_corrections_total',
  help: 'Drift passes that found and corrected a difference (changed objects, moved ops repo, scaled back to zero).',
  registers: [registry],
});

export const rollbacksTotal = new client.Counter({
  name: 'deployer_rollbacks_total',
  help: 'Rollbacks that ended, by trigger (manual or auto) and outcome.',
  labelNames: ['trigger', 'outcome'] as const,
  registers: [registry],
});

/** Registered by the worker's PendingRequests (pending-requests.ts), which keeps it. */
export const pendingRequests = new client.Gauge({
  name: 'deployer_pending_requests',
  help: 'Environments whose workflow, last run on this worker, has a request waiting in its pending slot (latest wins).',
  registers: [],
});

export const activityFailuresTotal = new client.Counter({
  name: 'deployer_activity_failures_total',
  help: 'Activity attempts that failed, by activity and error type.',
  labelNames: ['activity', 'error_type'] as const,
  registers: [registry],
});

export const workflowTaskFailuresTotal = new client.Counter({
  name: 'deployer_workflow_task_failures_total',
  help: 'Workflow tasks this worker failed, by reason: nondeterminism (the workflow code no longer replays its history, e.g. a change without patched()) or workflow_error (anything else). Each failure stalls its workflow until a retry succeeds.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const finalStatuses = new Set(['healthy', 'failed', 'cancelled']);
/** A request that ended while it waited for approval: no deployment happened, so none is counted. */
const approvalWaitEnds = new Set(['ApprovalRejected', 'ApprovalExpired', 'Superseded']);
const isApprovalWait = (row: { errorType?: string }) => row.errorType !== undefined && approvalWaitEnds.has(row.errorType);

/** Counts a history row that just reached a new status (called once per transition). */
export function countHistoryTransition(row: { action: string; status: string; startedAt: string; finishedAt?: string; errorType?: string }): void {
  if (row.action === 'drift') {
    if (row.status === 'corrected') driftCorrectionsTotal.inc();
    return;
  }
  if (!finalStatuses.has(row.status) || isApprovalWait(row)) return;
  if (row.action === 'deploy' || row.action === 'rollback' || row.action === 'auto-rollback') {
    deploymentsTotal.inc({ action: row.action, outcome: row.status });
    if (row.finishedAt) {
      const seconds = (Date.parse(row.finishedAt) - Date.parse(row.startedAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) deploymentDurationSeconds.observe({ action: row.action, outcome: row.status }, seconds);
    }
    if (row.action !== 'deploy') rollbacksTotal.inc({ trigger: row.action === 'rollback' ? 'manual' : 'auto', outcome: row.status });
  }
}
