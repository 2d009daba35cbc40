// The environment workflow's decisions as pure functions of its state: no Temporal imports, no
// clock (time comes in as `now`), so every rule is unit-tested directly.
import { sameJson } from '../src/domain/canonical-json.js';
import type { RecordedState } from '../src/domain/recorded-state.js';
import { EnvironmentNotFound } from '../src/domain/errors.js';
import type { PassKind } from '../src/domain/release-steps.js';
import type { ReconcileRequest } from './messages.js';
import type {
  CarriedState,
  InFlight,
  PendingRequest,
  ReconcileWanted,
  Release,
  ReleaseStatus,
  RequestAcceptance,
  RequestLogEntry,
  RequestLogUpdate,
  RequestOutcome,
} from './state.js';

export const MAX_RECENT_RELEASES = 20;
export const MAX_REQUEST_LOG = 50;
/** loop turns per run before continuing as new, whatever the server suggests */
export const MAX_TURNS_PER_RUN = 200;

/** The part of the state that remembers requests: the log and where its positions stand. */
export type RequestLog = Pick<CarriedState, 'requests' | 'nextRequestPosition' | 'forgottenThrough'>;

/** What a run is handed over by a run of code before request positions: its log has none. */
export type HandedOverState = Omit<CarriedState, keyof RequestLog> & {
  requests: Array<RequestLogUpdate & { position?: number }>;
  nextRequestPosition?: number;
  forgottenThrough?: number;
};

/**
 * A handed-over state with request positions: a state from code before them gets them in the
 * order its log last changed, oldest first (no waiter holds a receipt for those requests).
 */
export function withRequestPositions(state: HandedOverState): CarriedState {
  if (state.nextRequestPosition !== undefined) return state as CarriedState;
  const count = state.requests.length;
  return { ...state, requests: state.requests.map((entry, i) => ({ ...entry, position: count - i })), nextRequestPosition: count + 1, forgottenThrough: 0 };
}

function isFinalOutcome(outcome: RequestOutcome): boolean {
  return outcome !== 'pending' && outcome !== 'running';
}

/**
 * Which entry to drop first when the log is over its bound: superseded ones (a burst of requests
 * is mostly these, and their position alone tells their outcome), then ones that ended; never one
 * still pending or running. Among equals, the one changed longest ago.
 */
function forgetRank(entry: RequestLogEntry): number {
  if (entry.outcome === 'superseded') return 2;
  return isFinalOutcome(entry.outcome) ? 1 : 0;
}

/**
 * Adds or updates a request's entry (most recently changed first, bounded). A request new to the
 * log gets the next position. When the log is full, the entry dropped is the oldest superseded
 * one, else the oldest that ended, whose position then marks everything up to it as forgotten.
 */
export function logRequest(log: RequestLog, update: RequestLogUpdate): RequestLog {
  const known = log.requests.find((r) => r.requestId === update.requestId);
  const position = known ? known.position : log.nextRequestPosition;
  let requests = [{ ...update, position }, ...log.requests.filter((r) => r !== known)];
  let forgottenThrough = log.forgottenThrough;
  if (requests.length > MAX_REQUEST_LOG) {
    let drop = requests.length - 1;
    for (let i = requests.length - 1; i >= 0; i--) {
      if (forgetRank(requests[i]!) > forgetRank(requests[drop]!)) drop = i;
    }
    const forgotten = requests[drop]!;
    if (forgotten.outcome !== 'superseded') forgottenThrough = Math.max(forgottenThrough, forgotten.position);
    requests = requests.filter((_, i) => i !== drop);
  }
  return { requests, nextRequestPosition: Math.max(log.nextRequestPosition, position + 1), forgottenThrough };
}

export function seenRequest(state: Pick<CarriedState, 'requests' | 'pending'>, requestId: string): boolean {
  return state.pending?.requestId === requestId || state.requests.some((r) => r.requestId === requestId);
}

/**
 * Latest wins: the incoming request takes the pending slot and whatever waited there is
 * superseded. A request id seen before is ignored, so a pipeline may safely resend.
 */
export function acceptRequest(state: CarriedState, request: PendingRequest): CarriedState {
  if (seenRequest(state, request.requestId)) return state;
  let log: RequestLog = state;
  if (state.pending) {
    log = logRequest(log, {
      requestId: state.pending.requestId,
      kind: state.pending.kind,
      outcome: 'superseded',
      detail: `superseded by ${request.kind} ${request.requestId}`,
    });
  }
  log = logRequest(log, { requestId: request.requestId, kind: request.kind, outcome: 'pending' });
  return { ...state, ...log, pending: request };
}

/** What a deploy sent as an update is answered once taken: its entry's outcome and position. */
export function acceptance(state: Pick<CarriedState, 'requests'>, requestId: string, duplicate: boolean, firstRunId: string): RequestAcceptance {
  const entry = state.requests.find((r) => r.requestId === requestId)!;
  return { requestId, outcome: entry.outcome, position: entry.position, firstRunId, duplicate };
}

/** Stops are urgent; deploys and rollbacks keep the minimum interval between starts. */
export function needsMinimumInterval(request: PendingRequest): boolean {
  return request.kind !== 'stop';
}

/** How long to wait before `request` may start (0 when it may start now). */
export function startDelay(state: Pick<CarriedState, 'lastStartedAt' | 'policy'>, request: PendingRequest, now: number): number {
  if (!needsMinimumInterval(request) || state.lastStartedAt === undefined) return 0;
  return Math.max(0, state.lastStartedAt + state.policy.minIntervalMs - now);
}

/** When the next drift pass is due: the drift interval after the last deployment or drift pass. */
export function nextDriftAt(state: Pick<CarriedState, 'lastStartedAt' | 'lastDriftAt' | 'policy'>, now: number): number {
  const last = Math.max(state.lastStartedAt ?? now, state.lastDriftAt ?? 0);
  return last + state.policy.driftIntervalMs;
}

export function driftDue(state: Pick<CarriedState, 'lastStartedAt' | 'lastDriftAt' | 'policy'>, now: number): boolean {
  return now >= nextDriftAt(state, now);
}

function sameRelease(a: Release, b: Release): boolean {
  return (
    a.imageRef === b.imageRef &&
    a.opsSha === b.opsSha &&
    sameJson(a.valuesOverride ?? {}, b.valuesOverride ?? {})
  );
}

export type RollbackTarget = { release: Release } | { error: string };

/**
 * The release a rollback returns to: `toRelease` when given (it must be a known healthy release),
 * else the newest healthy release before the current one that differs from it.
 */
export function rollbackTarget(state: Pick<CarriedState, 'current' | 'releases'>, toRelease?: number): RollbackTarget {
  if (toRelease !== undefined) {
    const chosen = state.releases.find((r) => r.seq === toRelease);
    if (!chosen) return { error: `release ${toRelease} is not among the ${state.releases.length} recent releases` };
    if (chosen.status !== 'healthy') return { error: `release ${toRelease} (${chosen.imageRef}) was never healthy (${chosen.status})` };
    return { release: chosen };
  }
  const current = state.current;
  if (!current) return { error: 'no healthy release yet, so there is nothing to roll back to' };
  const earlier = state.releases.find((r) => r.seq < current.seq && r.status === 'healthy' && !sameRelease(r, current));
  if (!earlier) return { error: `no healthy release before the current one (${current.imageRef}) to roll back to` };
  return { release: earlier };
}

export type ReleasePlan = Pick<Release, 'action' | 'imageRef' | 'opsSha' | 'valuesOverride' | 'pinned'>;

export type RequestPlan =
  | { type: 'release'; release: ReleasePlan }
  | { type: 'stop' }
  | { type: 'ignore'; detail: string }
  | { type: 'fail'; detail: string };

/**
 * What to do with the request taken from the pending slot. A deploy of the image already running
 * still runs: it re-syncs the ops repo, which may have moved, and resumes a stopped environment.
 */
export function planRequest(state: Pick<CarriedState, 'current' | 'releases' | 'stopped'>, request: PendingRequest): RequestPlan {
  switch (request.kind) {
    case 'deploy':
      return {
        type: 'release',
        release: { action: 'deploy', imageRef: request.imageRef, valuesOverride: request.valuesOverride, pinned: false },
      };
    case 'rollback': {
      const target = rollbackTarget(state, request.toRelease);
      if ('error' in target) return { type: 'fail', detail: target.error };
      const { imageRef, opsSha, valuesOverride } = target.release;
      return { type: 'release', release: { action: 'rollback', imageRef, opsSha, valuesOverride, pinned: true } };
    }
    case 'stop':
      return state.stopped ? { type: 'ignore', detail: 'already stopped' } : { type: 'stop' };
  }
}

/**
 * After a release failed its health check: restore the last healthy release (pinned to its ops
 * SHA and values, so the rollback renders exactly what ran) when the policy says so.
 */
export function autoRollbackPlan(
  state: Pick<CarriedState, 'current' | 'policy'>,
  failed: Release,
): ReleasePlan | undefined {
  if (!state.policy.autoRollback || !state.current || sameRelease(state.current, failed)) return undefined;
  const { imageRef, opsSha, valuesOverride } = state.current;
  return { action: 'auto-rollback', imageRef, opsSha, valuesOverride, pinned: true };
}

/** Adds or replaces a release in the recent list (newest first, bounded). */
export function recordRelease(releases: Release[], release: Release): Release[] {
  const rest = releases.filter((r) => r.seq !== release.seq);
  return [release, ...rest].sort((a, b) => b.seq - a.seq).slice(0, MAX_RECENT_RELEASES);
}

/**
 * The state of a run that starts without carried state, from what Postgres recorded: the newest
 * release is the desired one and the newest healthy one is current, so rollback, drift and status
 * go on as before the previous run ended. Requests already received by this run are kept.
 */
export function stateFromRecords(state: CarriedState, recorded: RecordedState): CarriedState {
  const releases: Release[] = recorded.releases.slice(0, MAX_RECENT_RELEASES).map((r) => ({ ...r, pinned: r.action !== 'deploy' }));
  const desired = releases[0];
  const current = releases.find((r) => r.status === 'healthy');
  return {
    ...state,
    releases,
    desired,
    current,
    stopped: recorded.stopped,
    status: recorded.stopped ? 'stopped' : (recorded.releases[0]?.status ?? state.status),
    nextSeq: Math.max(state.nextSeq, recorded.releaseCount + 1),
  };
}

const MAX_RECONCILE_DETAIL = 500;

/** Folds a reconcile request into the one already waiting: one pass serves them all. */
export function wantReconcile(wanted: ReconcileWanted | undefined, request: ReconcileRequest, now: number): ReconcileWanted {
  const detail = wanted ? `${request.detail}; ${wanted.detail}` : request.detail;
  return {
    since: wanted?.since ?? now,
    sources: wanted?.sources.includes(request.source) ? wanted.sources : [...(wanted?.sources ?? []), request.source],
    detail: detail.length > MAX_RECONCILE_DETAIL ? `${detail.slice(0, MAX_RECONCILE_DETAIL - 1)}…` : detail,
    opsSha: request.opsSha ?? wanted?.opsSha,
  };
}

export type DriftPlan = { type: 'reapply'; release: Release } | { type: 'keep-stopped' } | { type: 'none'; detail: string };

/** The desired release when it did not become healthy (failed or cancelled), else undefined. */
export function unhealthyDesired(state: Pick<CarriedState, 'desired'>): Release | undefined {
  const desired = state.desired;
  return desired && (desired.status === 'failed' || desired.status === 'cancelled') ? desired : undefined;
}

/**
 * What a drift pass does: keep a stopped environment at zero, else re-apply the desired release
 * if it became healthy. A release that never became healthy is never re-applied: the last healthy
 * one is kept in place instead, or nothing is applied when there is none. (`onlyHealthy` false is
 * the behaviour of workflows that started before this rule.)
 */
export function planDrift(state: Pick<CarriedState, 'stopped' | 'desired' | 'current'>, { onlyHealthy = true } = {}): DriftPlan {
  if (state.stopped) return { type: 'keep-stopped' };
  if (!state.desired) return { type: 'none', detail: 'no release yet' };
  const failed = unhealthyDesired(state);
  if (!failed || !onlyHealthy) return { type: 'reapply', release: state.desired };
  if (state.current) return { type: 'reapply', release: state.current };
  return { type: 'none', detail: `desired release #${failed.seq} ${failed.status}; there is no healthy release to keep in place` };
}

/**
 * History events past which a run continues as new at its next turn, however few turns it took:
 * a turn that deploys writes ~50 events, a drift pass ~30, so turns alone let a run grow to
 * thousands. Small histories replay fast when a worker picks a workflow up cold.
 */
export const MAX_HISTORY_EVENTS = 2_000;

export function shouldContinueAsNew(turns: number, suggested: boolean): boolean {
  return suggested || turns >= MAX_TURNS_PER_RUN;
}

export function historyIsFull(historyLength: number): boolean {
  return historyLength >= MAX_HISTORY_EVENTS;
}

/** Stop and cancel interrupt deployments, rollbacks and stops in flight; a drift pass runs on. */
export function interruptible(inFlight: Pick<InFlight, 'kind'> | undefined): boolean {
  return inFlight !== undefined && inFlight.kind !== 'drift';
}

/**
 * What a cancel does: interrupt what is in flight, or nothing when nothing can be, and log which
 * of the two. A cancel whose id is logged already was handled before (a resend): undefined.
 */
export function planCancel(
  requests: RequestLogEntry[],
  inFlight: Pick<InFlight, 'kind' | 'requestId'> | undefined,
  requestId: string,
): { interrupt: boolean; entry: RequestLogUpdate } | undefined {
  if (requests.some((r) => r.requestId === requestId)) return undefined;
  const interrupt = interruptible(inFlight);
  return {
    interrupt,
    entry: {
      requestId,
      kind: 'cancel',
      outcome: interrupt ? 'cancelled' : 'ignored',
      detail: interrupt ? `cancelled ${inFlight?.requestId}` : 'nothing in flight to cancel',
    },
  };
}

/** What a finished release means for its request and its final history row. */
export function releaseOutcome(status: ReleaseStatus): 'healthy' | 'cancelled' | 'failed' {
  return status === 'healthy' || status === 'cancelled' ? status : 'failed';
}

/** A release always waits for its rollout; a drift pass only when it changed something or the ops repo moved. */
export function rolloutNeeded(pass: PassKind, applied: { changed: boolean }, sha: string, release: Pick<Release, 'opsSha'>): boolean {
  return pass === 'release' || applied.changed || sha !== release.opsSha;
}

/** Whether a step failed because it found no registration for the environment (loadEnvironment). */
export function isUnregistered(errorType: string | undefined): boolean {
  return errorType === EnvironmentNotFound;
}

/**
 * A run ends, rather than idling, when its environment turned out not to be registered (a request
 * for an unknown environment, or one deleted since) and no request waits: nothing it could do
 * would succeed, and the next request starts a new run, which looks again.
 */
export function endsUnregistered(unregistered: boolean, state: Pick<CarriedState, 'pending'>): boolean {
  return unregistered && state.pending === undefined;
}

/** A drift pass that keeps failing the same way is recorded once, not every interval. */
export function driftErrorIsNew(state: Pick<CarriedState, 'lastDriftError'>, message: string): boolean {
  return message !== state.lastDriftError;
}
