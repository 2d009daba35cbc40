// The release gates as pure functions of the environment workflow's state: whether the pending
// request may start, waits for approval or for a freeze window to end, or was refused; and whether
// an approve or reject is taken. No Temporal imports, no clock (time comes in as `now`).
import { activeFreeze, describeFreeze, type ActiveFreeze } from '../src/domain/freeze-windows.js';
import type { ApprovalRecord, ChangeAction } from '../src/domain/vocabulary.js';
import type { ApprovalDecision } from './messages.js';
import type { ApprovalVerdict, AwaitingApproval, CarriedState, PendingRequest } from './state.js';

/** The scope an approver's token needs, as people read it in `waitingFor`. */
export const APPROVER_SCOPE = 'deploy:approve';

export type GateVerdict =
  /** it may start; `approval` is the decision it passed, when it needed one */
  | { type: 'pass'; approval?: AwaitingApproval }
  /** it needs an approval that was not asked for yet: preview it and ask */
  | { type: 'ask-approval' }
  | { type: 'await-approval'; until: number }
  | { type: 'rejected'; approval: AwaitingApproval }
  | { type: 'expired'; approval: AwaitingApproval }
  | { type: 'frozen'; freeze: ActiveFreeze };

type GateState = Pick<CarriedState, 'policy' | 'approval'>;

/** The approval of `request`, when it waits for (or was given) one. */
export function approvalOf(state: Pick<CarriedState, 'approval'>, request: Pick<PendingRequest, 'requestId'>): AwaitingApproval | undefined {
  return state.approval?.requestId === request.requestId ? state.approval : undefined;
}

/**
 * Whether any gate can concern `request`: stops pass every gate, and an environment without an
 * approval policy or freeze windows has none. The workflow looks no further when it is false, so
 * environments without gates run exactly as before gates existed.
 */
export function gatesApply(state: GateState, request: PendingRequest): boolean {
  if (request.kind === 'stop') return false;
  return state.policy.approval?.required === true || (state.policy.freezeWindows?.length ?? 0) > 0 || approvalOf(state, request) !== undefined;
}

/**
 * Approval first (it can be given during a freeze), then the freeze. A rejection stands even if
 * the policy stopped requiring approval since; an approval no longer required is not waited for.
 */
export function gateVerdict(state: GateState, request: PendingRequest, now: number): GateVerdict {
  if (request.kind === 'stop') return { type: 'pass' };
  const approval = approvalOf(state, request);
  if (approval?.decision && !approval.decision.approved) return { type: 'rejected', approval };
  if (state.policy.approval?.required && !approval?.decision) {
    if (!approval) return { type: 'ask-approval' };
    if (now >= approval.expiresAt) return { type: 'expired', approval };
    return { type: 'await-approval', until: approval.expiresAt };
  }
  if (!request.overrideFreeze) {
    const freeze = activeFreeze(state.policy.freezeWindows ?? [], now, request.kind);
    if (freeze) return { type: 'frozen', freeze };
  }
  return { type: 'pass', ...(approval?.decision ? { approval } : {}) };
}

/** The wait for approval `request` starts now: its preview said `summary`. */
export function awaitApproval(
  state: GateState,
  request: Extract<PendingRequest, { kind: 'deploy' | 'rollback' }>,
  preview: { summary: Record<ChangeAction, number>; opsSha: string },
  historyKey: string,
  now: number,
): AwaitingApproval {
  return {
    requestId: request.requestId,
    kind: request.kind,
    requestedBy: request.requestedBy,
    since: now,
    expiresAt: now + (state.policy.approval?.expiresAfterMs ?? 0),
    historyKey,
    summary: preview.summary,
    opsSha: preview.opsSha,
  };
}

/**
 * Why an approve (or reject) of `decision.requestId` is refused, or undefined when it is taken.
 * Only the request waiting now can be decided, once, before it expires; the one who asked may not
 * approve it unless the policy allows self-approval (anyone may reject it).
 */
export function approvalRefusal(
  state: Pick<CarriedState, 'policy' | 'approval' | 'pending' | 'requests'>,
  decision: ApprovalDecision,
  approve: boolean,
  now: number,
): string | undefined {
  const { requestId } = decision;
  const waiting = state.pending && approvalOf(state, state.pending);
  if (!waiting || waiting.requestId !== requestId) {
    const logged = state.requests.find((r) => r.requestId === requestId);
    if (logged?.outcome === 'superseded') return `request ${requestId} was ${logged.detail ?? 'superseded'}: the newer request needs its own approval`;
    const instead = waiting ? `; request ${waiting.requestId} is` : '';
    return `request ${requestId} is not waiting for approval${logged ? ` (it is ${logged.outcome})` : ''}${instead}`;
  }
  if (waiting.decision) return `request ${requestId} was already ${waiting.decision.approved ? 'approved' : 'rejected'} by ${waiting.decision.by}`;
  if (now >= waiting.expiresAt) return `the approval of request ${requestId} expired at ${new Date(waiting.expiresAt).toISOString()}`;
  if (approve && decision.decidedBy === waiting.requestedBy && !state.policy.approval?.allowSelfApproval) {
    return `${decision.decidedBy} requested ${requestId} and may not approve it: the environment's policy does not allow self-approval`;
  }
  return undefined;
}

/** What `waitingFor` says of a gate holding the pending request, or undefined when none holds it. */
export function describeGate(state: GateState, request: PendingRequest, now: number): string | undefined {
  if (!gatesApply(state, request)) return undefined;
  const verdict = gateVerdict(state, request, now);
  switch (verdict.type) {
    case 'ask-approval':
      return `preparing the approval of ${request.kind} ${request.requestId}: previewing its diff`;
    case 'await-approval': {
      const approval = approvalOf(state, request)!;
      return `approval of request ${request.requestId} by ${APPROVER_SCOPE} since ${new Date(approval.since).toISOString()} (expires ${new Date(approval.expiresAt).toISOString()})`;
    }
    case 'frozen':
      return `${describeFreeze(verdict.freeze, now)} before ${request.kind} ${request.requestId}`;
    default:
      return undefined;
  }
}

/** The state once `request` left the pending slot at a gate, unless a newer request took the slot meanwhile. */
export function leftPendingSlot(state: Pick<CarriedState, 'pending' | 'approval' | 'heldRequestId'>, request: PendingRequest): Partial<CarriedState> {
  return state.pending === request ? { pending: undefined, approval: undefined, heldRequestId: undefined } : {};
}

/** A decision as history rows keep it; without one, the expiry at `expiredAt`. */
export function approvalRecord(decision: ApprovalVerdict | undefined, expiredAt: number): ApprovalRecord {
  if (!decision) return { decision: 'expired', at: new Date(expiredAt).toISOString() };
  return { decision: decision.approved ? 'approved' : 'rejected', by: decision.by, at: new Date(decision.at).toISOString(), ...(decision.reason ? { reason: decision.reason } : {}) };
}
