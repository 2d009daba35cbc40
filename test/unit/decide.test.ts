import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../activities/types.js';
import {
  acceptRequest,
  acceptance,
  autoRollbackPlan,
  logRequest,
  MAX_REQUEST_LOG,
  withRequestPositions,
  type HandedOverState,
  type RequestLog,
  driftErrorIsNew,
  endsUnregistered,
  isUnregistered,
  interruptible,
  planCancel,
  releaseOutcome,
  rolloutNeeded,
  driftDue,
  MAX_RECENT_RELEASES,
  nextDriftAt,
  planDrift,
  planRequest,
  recordRelease,
  rollbackTarget,
  shouldContinueAsNew,
  historyIsFull,
  MAX_HISTORY_EVENTS,
  startDelay,
  stateFromRecords,
} from '../../workflows/decide.js';
import { describeWaitingFor } from '../../workflows/display.js';
import type { CarriedState, PendingRequest, Release, RequestLogUpdate } from '../../workflows/state.js';

const base: CarriedState = { policy: defaultPolicy, status: 'new', stopped: false, releases: [], nextSeq: 1, requests: [], nextRequestPosition: 1, forgottenThrough: 0, run: 1 };
const deploy = (id: string, imageRef: string, receivedAt = 0): PendingRequest => ({ kind: 'deploy', requestId: id, requestedBy: 'ci', imageRef, receivedAt });
const release = (seq: number, imageRef: string, status: Release['status'], extra: Partial<Release> = {}): Release => ({
  seq, action: 'deploy', imageRef, status, pinned: false, requestId: `r${seq}`, startedAt: seq * 1000, opsSha: `sha${seq}`, ...extra,
});

describe('the pending slot', () => {
  it('keeps only the newest request and logs the one it replaced as superseded', () => {
    let state = acceptRequest(base, deploy('a', 'web:1'));
    state = acceptRequest(state, deploy('b', 'web:2'));
    state = acceptRequest(state, { kind: 'stop', requestId: 'c', requestedBy: 'ops', receivedAt: 0 });
    expect(state.pending?.requestId).toBe('c');
    expect(state.requests.find((r) => r.requestId === 'a')).toMatchObject({ outcome: 'superseded', detail: 'superseded by deploy b' });
    expect(state.requests.find((r) => r.requestId === 'b')).toMatchObject({ outcome: 'superseded', detail: 'superseded by stop c' });
    expect(state.requests.find((r) => r.requestId === 'c')?.outcome).toBe('pending');
  });

  it('ignores a request id it has already seen, so a resent signal changes nothing', () => {
    const once = acceptRequest(base, deploy('a', 'web:1'));
    const newer = acceptRequest(once, deploy('b', 'web:2'));
    expect(acceptRequest(newer, deploy('a', 'web:1'))).toBe(newer);
  });
});

describe('the request log', () => {
  const ran = (log: RequestLog, id: string, outcome: RequestLogUpdate['outcome'] = 'healthy') => logRequest(log, { requestId: id, kind: 'deploy', outcome });

  it('gives each request a position when it first lists it, and keeps it through later entries', () => {
    let state = acceptRequest(base, deploy('a', 'web:1'));
    state = acceptRequest(state, deploy('b', 'web:2'));
    state = { ...state, ...ran(state, 'b', 'running') };
    expect(state.requests.map((r) => [r.requestId, r.outcome, r.position])).toEqual([['b', 'running', 2], ['a', 'superseded', 1]]);
    expect(state.nextRequestPosition).toBe(3);
    expect(acceptance(state, 'a', true, 'run-1')).toEqual({ requestId: 'a', outcome: 'superseded', position: 1, firstRunId: 'run-1', duplicate: true });
  });

  it('drops superseded entries first, so a burst keeps what ran, and marks only what it drops of the rest as forgotten', () => {
    let state = acceptRequest(base, deploy('first', 'web:0'));
    state = { ...state, pending: undefined, ...ran(state, 'first') };
    for (let i = 1; i <= 200; i++) state = acceptRequest(state, deploy(`d${i}`, `web:${i}`));
    expect(state.requests).toHaveLength(MAX_REQUEST_LOG);
    expect(state.requests.at(-1)).toMatchObject({ requestId: 'first', outcome: 'healthy', position: 1 });
    expect(state.requests[0]).toMatchObject({ requestId: 'd200', outcome: 'pending', position: 201 });
    expect(state.forgottenThrough).toBe(0);

    // Requests that ended take the place of the superseded ones, then of each other.
    let log: RequestLog = state;
    for (let i = 1; i < MAX_REQUEST_LOG; i++) log = ran(log, `c${i}`, 'ignored');
    expect(log.requests.some((r) => r.outcome === 'superseded')).toBe(false);
    expect(log.requests.map((r) => r.requestId)).toContain('d200');
    expect(log.forgottenThrough).toBe(1);
    log = ran(log, 'c-last', 'ignored');
    expect(log.forgottenThrough).toBe(202);
    expect(log.requests.find((r) => r.requestId === 'd200')).toMatchObject({ outcome: 'pending' });
  });

  it('numbers the log of a state handed over by code before positions, oldest first', () => {
    const { nextRequestPosition: _n, forgottenThrough: _f, ...old } = base;
    const handedOver: HandedOverState = { ...old, requests: [{ requestId: 'b', kind: 'deploy', outcome: 'healthy' }, { requestId: 'a', kind: 'deploy', outcome: 'superseded' }] };
    const state = withRequestPositions(handedOver);
    expect(state.requests.map((r) => [r.requestId, r.position])).toEqual([['b', 2], ['a', 1]]);
    expect(state).toMatchObject({ nextRequestPosition: 3, forgottenThrough: 0 });
    expect(withRequestPositions(state)).toBe(state);
  });
});

describe('the minimum interval', () => {
  const state = { ...base, lastStartedAt: 10_000, policy: { ...defaultPolicy, minIntervalMs: 1_500 } };
  it('delays a deploy until the interval after the previous start has passed', () => {
    expect(startDelay(state, deploy('a', 'x'), 10_500)).toBe(1_000);
    expect(startDelay(state, deploy('a', 'x'), 11_500)).toBe(0);
    expect(startDelay(state, deploy('a', 'x'), 20_000)).toBe(0);
  });
  it('never delays the first deployment or a stop', () => {
    expect(startDelay(base, deploy('a', 'x'), 0)).toBe(0);
    expect(startDelay(state, { kind: 'stop', requestId: 's', requestedBy: 'ops', receivedAt: 0 }, 10_100)).toBe(0);
  });
});

describe('drift', () => {
  const policy = { ...defaultPolicy, driftIntervalMs: 60_000 };
  it('is due the drift interval after the last deployment or drift pass, whichever is later', () => {
    const state = { ...base, policy, lastStartedAt: 1_000, lastDriftAt: 30_000 };
    expect(nextDriftAt(state, 40_000)).toBe(90_000);
    expect(driftDue(state, 89_999)).toBe(false);
    expect(driftDue(state, 90_000)).toBe(true);
  });
  it('re-applies the desired release, keeps a stopped environment at zero, and does nothing before any release', () => {
    const desired = release(2, 'web:2', 'healthy', { action: 'rollback', pinned: true });
    expect(planDrift({ stopped: false, desired })).toEqual({ type: 'reapply', release: desired });
    expect(planDrift({ stopped: true, desired })).toEqual({ type: 'keep-stopped' });
    expect(planDrift({ stopped: false })).toMatchObject({ type: 'none' });
  });
});

describe('rollback target', () => {
  const a = release(1, 'web:1', 'healthy', { valuesOverride: { tier: 'a' } });
  const b = release(2, 'web:2', 'healthy');
  const bad = release(3, 'web:3', 'failed');
  it('is the last healthy release before the current one, with its ops SHA and values', () => {
    const target = rollbackTarget({ current: b, releases: [bad, b, a] });
    expect(target).toEqual({ release: a });
  });
  it('skips earlier releases identical to the current one', () => {
    const again = release(4, 'web:2', 'healthy', { opsSha: 'sha2' });
    const current = { ...b, seq: 5, opsSha: 'sha2' };
    expect(rollbackTarget({ current, releases: [current, again, { ...b, opsSha: 'sha2' }, a] })).toEqual({ release: a });
  });
  it('counts values as the same whatever order their keys were written in', () => {
    const current = release(6, 'web:1', 'healthy', { opsSha: 'sha1', valuesOverride: { tier: 'a', replicas: { min: 1, max: 3 } } });
    const sameValues = release(5, 'web:1', 'healthy', { opsSha: 'sha1', valuesOverride: { replicas: { max: 3, min: 1 }, tier: 'a' } });
    const otherValues = release(4, 'web:1', 'healthy', { opsSha: 'sha1', valuesOverride: { tier: 'b' } });
    expect(rollbackTarget({ current, releases: [current, sameValues, otherValues] })).toEqual({ release: otherValues });
  });
  it('is an error when there is no earlier healthy release', () => {
    expect(rollbackTarget({ current: a, releases: [a] })).toEqual({ error: expect.stringContaining('no healthy release before the current one') });
    expect(rollbackTarget({ current: undefined, releases: [bad] })).toEqual({ error: expect.stringContaining('no healthy release yet') });
  });
  it('takes an explicit release only when it is known and was healthy', () => {
    expect(rollbackTarget({ current: b, releases: [bad, b, a] }, 1)).toEqual({ release: a });
    expect(rollbackTarget({ current: b, releases: [bad, b, a] }, 3)).toEqual({ error: expect.stringContaining('never healthy') });
    expect(rollbackTarget({ current: b, releases: [b, a] }, 42)).toEqual({ error: expect.stringContaining('not among') });
  });
});

describe('planning a request', () => {
  const a = release(1, 'web:1', 'healthy', { valuesOverride: { replicas: 3 } });
  const b = release(2, 'web:2', 'healthy');
  it('turns a rollback into a pinned release of the target', () => {
    const plan = planRequest({ current: b, releases: [b, a], stopped: false }, { kind: 'rollback', requestId: 'r', requestedBy: 'ops', receivedAt: 0 });
    expect(plan).toEqual({ type: 'release', release: { action: 'rollback', imageRef: 'web:1', opsSha: 'sha1', valuesOverride: { replicas: 3 }, pinned: true } });
  });
  it('refuses a rollback with nothing to return to, with the reason', () => {
    const plan = planRequest({ current: a, releases: [a], stopped: false }, { kind: 'rollback', requestId: 'r', requestedBy: 'ops', receivedAt: 0 });
    expect(plan).toMatchObject({ type: 'fail', detail: expect.stringContaining('no healthy release before') });
  });
  it('ignores a stop while already stopped', () => {
    expect(planRequest({ releases: [], stopped: true }, { kind: 'stop', requestId: 's', requestedBy: 'ops', receivedAt: 0 })).toEqual({ type: 'ignore', detail: 'already stopped' });
    expect(planRequest({ releases: [], stopped: false }, { kind: 'stop', requestId: 's', requestedBy: 'ops', receivedAt: 0 })).toEqual({ type: 'stop' });
  });
  it('still runs a deploy of the image already running (the ops repo may have moved), unpinned', () => {
    const plan = planRequest({ current: b, releases: [b], stopped: false }, deploy('d', 'web:2'));
    expect(plan).toEqual({ type: 'release', release: { action: 'deploy', imageRef: 'web:2', valuesOverride: undefined, pinned: false } });
  });
});

describe('auto-rollback', () => {
  const a = release(1, 'web:1', 'healthy');
  const failed = release(2, 'web:2', 'failed');
  it('restores the current healthy release, pinned, when the policy allows', () => {
    expect(autoRollbackPlan({ current: a, policy: defaultPolicy }, failed)).toEqual({
      action: 'auto-rollback', imageRef: 'web:1', opsSha: 'sha1', valuesOverride: undefined, pinned: true,
    });
  });
  it('does nothing when disabled, when nothing was ever healthy, or when the failed release is the healthy one', () => {
    expect(autoRollbackPlan({ current: a, policy: { ...defaultPolicy, autoRollback: false } }, failed)).toBeUndefined();
    expect(autoRollbackPlan({ current: undefined, policy: defaultPolicy }, failed)).toBeUndefined();
    expect(autoRollbackPlan({ current: a, policy: defaultPolicy }, { ...a, status: 'failed' })).toBeUndefined();
  });
});

describe('bounded state', () => {
  it('keeps the newest releases, newest first', () => {
    let releases: Release[] = [];
    for (let seq = 1; seq <= MAX_RECENT_RELEASES + 5; seq++) releases = recordRelease(releases, release(seq, `web:${seq}`, 'healthy'));
    expect(releases).toHaveLength(MAX_RECENT_RELEASES);
    expect(releases[0]?.seq).toBe(MAX_RECENT_RELEASES + 5);
    releases = recordRelease(releases, { ...releases[0]!, status: 'failed' });
    expect(releases[0]?.status).toBe('failed');
    expect(releases).toHaveLength(MAX_RECENT_RELEASES);
  });
  it('continues as new when the server suggests it or after the turn limit', () => {
    expect(shouldContinueAsNew(3, true)).toBe(true);
    expect(shouldContinueAsNew(3, false)).toBe(false);
    expect(shouldContinueAsNew(200, false)).toBe(true);
    expect(historyIsFull(MAX_HISTORY_EVENTS - 1)).toBe(false);
    expect(historyIsFull(MAX_HISTORY_EVENTS)).toBe(true);
  });
});

describe('waiting for', () => {
  const policy = { ...defaultPolicy, minIntervalMs: 2_000, driftIntervalMs: 60_000 };
  it('names the minimum interval and when it ends', () => {
    const state = { ...base, policy, lastStartedAt: Date.UTC(2026, 0, 1, 12, 0, 1), pending: deploy('d7', 'web:7') };
    expect(describeWaitingFor(state, undefined, Date.UTC(2026, 0, 1, 12, 0, 2))).toBe('minimum interval until 2026-01-01T12:00:03.000Z before deploy d7');
  });
  it('names the step in flight, a stopped environment, and the next drift pass', () => {
    expect(describeWaitingFor(base, { requestId: 'd1', kind: 'deploy', step: 'health', startedAt: 0 }, 0)).toBe('deployment in flight: deploy d1, step health');
    expect(describeWaitingFor({ ...base, stopped: true }, undefined, 0)).toBe('stopped: a deploy resumes the environment');
    expect(describeWaitingFor(base, undefined, 0)).toBe('no release yet: waiting for a deploy');
    const idle = { ...base, policy, desired: release(1, 'web:1', 'healthy'), lastStartedAt: Date.UTC(2026, 0, 1, 12, 0, 0) };
    expect(describeWaitingFor(idle, undefined, Date.UTC(2026, 0, 1, 12, 0, 5))).toBe('idle: next safety-net drift pass at 2026-01-01T12:01:00.000Z, sooner on a change in the ops repo or the cluster');
  });
});

describe('a run that starts without carried state', () => {
  const recorded = (seq: number, imageRef: string, status: 'healthy' | 'failed' | 'cancelled', action: 'deploy' | 'rollback' | 'auto-rollback' = 'deploy') => ({
    seq, action, imageRef, status, requestId: `r${seq}`, startedAt: seq * 1000, opsSha: `sha${seq}`,
  });

  it('takes the newest recorded release as desired and the newest healthy one as current, keeping requests it already has', () => {
    const withPending = acceptRequest(base, { kind: 'rollback', requestId: 'rb', requestedBy: 'ops', receivedAt: 5 });
    const state = stateFromRecords(withPending, {
      releases: [recorded(3, 'web:3', 'failed'), recorded(2, 'web:2', 'healthy', 'rollback'), recorded(1, 'web:1', 'healthy')],
      releaseCount: 3,
      stopped: false,
      closedInProgress: 1,
    });
    expect(state.desired).toMatchObject({ seq: 3, imageRef: 'web:3', pinned: false });
    expect(state.current).toMatchObject({ seq: 2, imageRef: 'web:2', pinned: true });
    expect(state.status).toBe('failed');
    expect(state.nextSeq).toBe(4);
    expect(state.pending?.requestId).toBe('rb');
    expect(state.requests.map((r) => r.requestId)).toEqual(['rb']);
    // a rollback now has a target again: the release before the current one
    expect(rollbackTarget(state)).toMatchObject({ release: { imageRef: 'web:1', opsSha: 'sha1' } });
  });

  it('keeps a stopped environment stopped, and numbers past every recorded release', () => {
    const state = stateFromRecords(base, { releases: [recorded(41, 'web:41', 'healthy')], releaseCount: 41, stopped: true, closedInProgress: 0 });
    expect(state).toMatchObject({ stopped: true, status: 'stopped', nextSeq: 42 });
  });
});

describe('stop, cancel and the work in flight', () => {
  const inFlight = (kind: 'deploy' | 'drift') => ({ requestId: kind === 'drift' ? 'drift-1' : 'd1', kind });

  it('interrupts a release in flight but never a drift pass, and nothing when idle', () => {
    expect(interruptible(inFlight('deploy'))).toBe(true);
    expect(interruptible(inFlight('drift'))).toBe(false);
    expect(interruptible(undefined)).toBe(false);
  });

  it('logs a cancel as cancelling what is in flight, as ignored when nothing can be, and handles a resent one once', () => {
    expect(planCancel([], inFlight('deploy'), 'c1')).toEqual({ interrupt: true, entry: { requestId: 'c1', kind: 'cancel', outcome: 'cancelled', detail: 'cancelled d1' } });
    expect(planCancel([], inFlight('drift'), 'c1')).toEqual({ interrupt: false, entry: { requestId: 'c1', kind: 'cancel', outcome: 'ignored', detail: 'nothing in flight to cancel' } });
    expect(planCancel([{ requestId: 'c1', kind: 'cancel', outcome: 'cancelled', position: 1 }], inFlight('deploy'), 'c1')).toBeUndefined();
  });
});

describe('how a pass ends', () => {
  it('waits for the rollout on every release, and on a drift pass only after a change or a move of the ops repo', () => {
    const desired = { opsSha: 'abc' };
    expect(rolloutNeeded('release', { changed: false }, 'abc', desired)).toBe(true);
    expect(rolloutNeeded('drift', { changed: false }, 'abc', desired)).toBe(false);
    expect(rolloutNeeded('drift', { changed: true }, 'abc', desired)).toBe(true);
    expect(rolloutNeeded('drift', { changed: false }, 'def', desired)).toBe(true);
  });

  it('maps a finished release to its outcome; one that never finished counts as failed', () => {
    expect(releaseOutcome('healthy')).toBe('healthy');
    expect(releaseOutcome('cancelled')).toBe('cancelled');
    expect(releaseOutcome('failed')).toBe('failed');
    expect(releaseOutcome('in-progress')).toBe('failed');
  });

  it('records a failing drift pass once per distinct error', () => {
    expect(driftErrorIsNew({ lastDriftError: undefined }, 'boom')).toBe(true);
    expect(driftErrorIsNew({ lastDriftError: 'boom' }, 'boom')).toBe(false);
    expect(driftErrorIsNew({ lastDriftError: 'boom' }, 'bang')).toBe(true);
  });
});

describe('an environment that is not registered', () => {
  it('is told by the failure type of its load, and ends the run only when no request waits', () => {
    expect(isUnregistered('EnvironmentNotFound')).toBe(true);
    expect(isUnregistered('TemplateError')).toBe(false);
    expect(isUnregistered(undefined)).toBe(false);
    expect(endsUnregistered(true, { pending: undefined })).toBe(true);
    expect(endsUnregistered(true, { pending: deploy('next', 'web:2') })).toBe(false);
    expect(endsUnregistered(false, { pending: undefined })).toBe(false);
  });
});
