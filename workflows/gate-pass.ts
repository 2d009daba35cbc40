// The release gates the loop passes a deploy or rollback through before it starts: an approval
// (previewed, then waited for on a durable timer until approved, rejected or expired) and the
// freeze windows (waited out on a durable timer). While a request waits at a gate, drift passes
// and reconcile passes go on, and a newer request supersedes it as any pending request. The rules
// live in gates.ts; this is their I/O: the preview, the history rows, the waits, the events.
import { condition } from '@temporalio/workflow';
import type { HistoryRecord } from '../activities/types.js';
import type { ApprovalRecord } from '../src/domain/vocabulary.js';
import { describeFreeze } from '../src/domain/freeze-windows.js';
import { driftDue, nextDriftAt, planRequest } from './decide.js';
import { driftPass } from './drift-pass.js';
import { errorMessage, errorType, type EnvironmentRun } from './environment-run.js';
import { APPROVER_SCOPE, approvalRecord, awaitApproval, gatesApply, gateVerdict, leftPendingSlot, type GateVerdict } from './gates.js';
import { describeSummary } from '../src/domain/release-preview.js';
import type { AwaitingApproval, ApprovalVerdict, PendingRequest } from './state.js';
import { requestApproval } from './steps.js';

export type GateOutcome =
  /** start it now; `approval` is the decision it passed, when it needed one */
  | { type: 'go'; approval?: ApprovalVerdict }
  /** not yet: the loop looks again (the request, the policy or the time changed) */
  | { type: 'wait' }
  /** it ended at a gate (rejected, expired, its preview failed) and left the pending slot */
  | { type: 'closed' };

const iso = (ms: number) => new Date(ms).toISOString();

export async function passGates(run: EnvironmentRun, request: PendingRequest): Promise<GateOutcome> {
  await closeSupersededApproval(run, request);
  if (!gatesApply(run.state, request)) return { type: 'go' };
  const now = Date.now();
  const verdict = gateVerdict(run.state, request, now);
  switch (verdict.type) {
    case 'pass':
      if (verdict.approval) await recordApproved(run, verdict.approval);
      return { type: 'go', ...(verdict.approval?.decision ? { approval: verdict.approval.decision } : {}) };
    case 'ask-approval':
      return askApproval(run, request as Extract<PendingRequest, { kind: 'deploy' | 'rollback' }>);
    case 'await-approval':
      await waitAtGate(run, request, verdict.until, `approval of request ${request.requestId} by ${APPROVER_SCOPE}`);
      return { type: 'wait' };
    case 'rejected':
    case 'expired':
      await closeApproval(run, request, verdict);
      return { type: 'closed' };
    case 'frozen': {
      const held = describeFreeze(verdict.freeze, now);
      if (run.state.heldRequestId !== request.requestId) {
        run.update({ heldRequestId: request.requestId });
        run.logRequest({ requestId: request.requestId, kind: request.kind, outcome: 'pending', detail: `held by ${held}` });
        run.notify('dev.deployer.request.held', request.requestId, { requestId: request.requestId, actor: request.requestedBy, reason: request.reason, detail: held, ...imageOf(request) });
      }
      run.publish();
      await waitAtGate(run, request, verdict.freeze.untilMs, held);
      return { type: 'wait' };
    }
  }
}

/** Preview the release the request asks for, write the wait's history row with its diff, and tell the approvers. */
async function askApproval(run: EnvironmentRun, request: Extract<PendingRequest, { kind: 'deploy' | 'rollback' }>): Promise<GateOutcome> {
  const plan = planRequest(run.state, request);
  // A rollback with nothing to return to is refused as ever, without asking anyone.
  if (plan.type !== 'release') return { type: 'go' };
  const { release } = plan;
  const now = Date.now();
  const row: HistoryRecord = {
    ...run.ref,
    idempotencyKey: run.historyKey(),
    action: request.kind,
    status: 'awaiting-approval',
    imageRef: release.imageRef,
    sha: release.opsSha,
    valuesOverride: release.valuesOverride,
    requestId: request.requestId,
    requestedBy: request.requestedBy,
    reason: request.reason,
    startedAt: iso(now),
  };
  run.publish();
  let preview;
  try {
    preview = await requestApproval(`preview ${request.kind} of ${release.imageRef} for approval`, { ref: run.ref, release, row });
  } catch (error) {
    // What cannot be previewed (a template error, a refused object) would fail as a release.
    const detail = `its preview for approval failed: ${errorMessage(error)}`;
    run.logRequest({ requestId: request.requestId, kind: request.kind, outcome: 'failed', detail });
    leavePendingSlot(run, request);
    run.publish();
    await run.recordHistory({ ...row, status: 'failed', error: detail, errorType: errorType(error), finishedAt: iso(Date.now()) });
    return { type: 'closed' };
  }
  const approval = awaitApproval(run.state, request, preview, row.idempotencyKey, Date.now());
  const summary = describeSummary(preview.summary);
  run.update({ approval });
  run.logRequest({ requestId: request.requestId, kind: request.kind, outcome: 'pending', detail: `awaiting approval by ${APPROVER_SCOPE} until ${iso(approval.expiresAt)}: ${summary}` });
  run.notify('dev.deployer.approval.requested', request.requestId, {
    requestId: request.requestId,
    imageRef: release.imageRef,
    opsSha: preview.opsSha,
    actor: request.requestedBy,
    reason: request.reason,
    detail: `would change: ${summary}; expires ${iso(approval.expiresAt)}`,
  });
  run.publish();
  return { type: 'wait' };
}

/** A rejected or expired request ends: logged, its wait's row closed with why, the slot freed. */
async function closeApproval(run: EnvironmentRun, request: PendingRequest, verdict: Extract<GateVerdict, { type: 'rejected' | 'expired' }>): Promise<void> {
  const { approval } = verdict;
  const decision = approval.decision;
  const detail =
    verdict.type === 'rejected'
      ? `rejected by ${decision!.by}${decision!.reason ? `: ${decision!.reason}` : ''}`
      : `its approval expired at ${iso(approval.expiresAt)}: nobody with ${APPROVER_SCOPE} decided in time`;
  run.logRequest({ requestId: request.requestId, kind: request.kind, outcome: 'cancelled', detail });
  leavePendingSlot(run, request);
  run.publish();
  await closeWaitRow(run, approval, verdict.type === 'rejected' ? 'ApprovalRejected' : 'ApprovalExpired', detail, approvalRecord(decision, approval.expiresAt));
}

/**
 * The approval waiting was for a request a newer one superseded (the loop now takes the newer
 * one): its wait's row is closed as superseded, and the newer request asks for its own.
 */
async function closeSupersededApproval(run: EnvironmentRun, request: PendingRequest): Promise<void> {
  const stale = run.state.approval;
  if (!stale || stale.requestId === request.requestId) return;
  run.update({ approval: undefined });
  await closeWaitRow(run, stale, 'Superseded', `superseded by ${request.kind} ${request.requestId} before it was ${stale.decision ? 'released' : 'decided'}`);
}

async function closeWaitRow(run: EnvironmentRun, approval: AwaitingApproval, type: string, detail: string, record?: ApprovalRecord): Promise<void> {
  await run.recordHistory({
    ...(record ? { approval: record } : {}),
    idempotencyKey: approval.historyKey,
    action: approval.kind,
    status: 'cancelled',
    requestId: approval.requestId,
    requestedBy: approval.requestedBy,
    error: detail,
    errorType: type,
    startedAt: iso(approval.since),
    finishedAt: iso(Date.now()),
  });
}

/** The approved request starts: its wait's row says who approved it. */
async function recordApproved(run: EnvironmentRun, approval: AwaitingApproval): Promise<void> {
  const decision = approval.decision!;
  await run.recordHistory(
    {
      idempotencyKey: approval.historyKey,
      action: approval.kind,
      status: 'approved',
      approval: approvalRecord(decision, approval.expiresAt),
      requestId: approval.requestId,
      requestedBy: approval.requestedBy,
      startedAt: iso(approval.since),
      finishedAt: iso(decision.at),
    },
    { local: true },
  );
}

/**
 * Waits at a gate until `until`, a change (a newer request, a decision, a new policy) or a reconcile
 * wanted; runs the drift pass that falls due meanwhile, so the environment is kept as it should
 * be while a request waits.
 */
async function waitAtGate(run: EnvironmentRun, request: PendingRequest, until: number, summary: string): Promise<void> {
  const { pending, approval, policy } = run.state;
  const moved = () => run.state.pending !== pending || run.state.approval !== approval || run.state.policy !== policy || run.state.reconcile !== undefined;
  const wakeAt = Math.min(until, nextDriftAt(run.state, Date.now()));
  await condition(moved, Math.max(1, wakeAt - Date.now()), { summary });
  if (run.state.pending === request && (run.state.reconcile !== undefined || driftDue(run.state, Date.now()))) await driftPass(run);
}

function leavePendingSlot(run: EnvironmentRun, request: PendingRequest): void {
  run.update(leftPendingSlot(run.state, request));
}

function imageOf(request: PendingRequest): { imageRef?: string } {
  return request.kind === 'deploy' ? { imageRef: request.imageRef } : {};
}
