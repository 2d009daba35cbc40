// What the loop does with the request it takes from the pending slot: ignore it, refuse it, stop,
// or run a release, followed by an automatic rollback when the release failed and the policy
// asks for one.
import { autoRollbackPlan, planRequest } from './decide.js';
import type { EnvironmentRun } from './environment-run.js';
import { runRelease } from './release.js';
import type { ApprovalVerdict, PendingRequest } from './state.js';
import { runStop } from './stop.js';

/** `approval`: the decision the request passed its approval gate with, when it needed one. */
export async function handleRequest(run: EnvironmentRun, request: PendingRequest, approval?: ApprovalVerdict): Promise<void> {
  const plan = planRequest(run.state, request);
  switch (plan.type) {
    case 'ignore':
      run.logRequest({ requestId: request.requestId, kind: request.kind, outcome: 'ignored', detail: plan.detail });
      run.publish();
      return;
    case 'fail':
      await recordRefusal(run, request, plan.detail);
      return;
    case 'stop':
      await runStop(run, request);
      return;
    case 'release': {
      const release = await runRelease(run, plan.release, request, approval);
      if (release.status !== 'failed') return;
      const rollback = autoRollbackPlan(run.state, release);
      if (rollback) {
        await runRelease(run, rollback, {
          requestId: `${request.requestId}/auto-rollback`,
          requestedBy: 'deployer',
          reason: `release #${release.seq} (${release.imageRef}) failed: ${release.error ?? 'unknown error'}`,
        });
      }
    }
  }
}

/** A request the environment cannot carry out (a rollback with nothing to return to): logged and recorded. */
async function recordRefusal(run: EnvironmentRun, request: PendingRequest, detail: string): Promise<void> {
  run.logRequest({ requestId: request.requestId, kind: request.kind, outcome: 'failed', detail });
  const at = new Date(Date.now()).toISOString();
  await run.recordHistory({
    idempotencyKey: run.historyKey(),
    action: request.kind === 'stop' ? 'stop' : request.kind,
    status: 'failed',
    error: detail,
    errorType: 'RequestRefused',
    requestId: request.requestId,
    requestedBy: request.requestedBy,
    reason: request.reason,
    startedAt: at,
    finishedAt: at,
  });
  run.publish();
}
