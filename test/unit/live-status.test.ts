import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../activities/types.js';
import { describeLiveStatus } from '../../src/domain/live-status.js';
import { liveStatus, sameLiveStatus } from '../../workflows/live-status.js';
import type { AwaitingApproval, CarriedState, InFlight, PendingRequest } from '../../workflows/state.js';

const base: CarriedState = { policy: defaultPolicy, status: 'healthy', stopped: false, releases: [], nextSeq: 2, requests: [], nextRequestPosition: 1, forgottenThrough: 0, run: 1 };
const deploy: PendingRequest = { kind: 'deploy', requestId: 'r2', requestedBy: 'ci', imageRef: 'web:2', receivedAt: 0 };
const NOW = Date.parse('2026-12-06T12:00:00Z');
const flight = (extra: Partial<InFlight>): InFlight => ({ requestId: 'r2', kind: 'deploy', step: 'apply', startedAt: NOW, ...extra });

describe('the live status an environment workflow reports', () => {
  it('says deploying with the kind and step of a release in flight, stopping for a stop, and keeps the status through a drift pass', () => {
    expect(liveStatus(base, flight({}), NOW)).toEqual({ phase: 'deploying', detail: 'deploy, step apply', at: NOW });
    expect(liveStatus(base, flight({ kind: 'rollback', step: 'health' }), NOW).detail).toBe('rollback, step health');
    expect(liveStatus(base, flight({ kind: 'stop', step: 'scale' }), NOW)).toEqual({ phase: 'stopping', detail: 'scale', at: NOW });
    expect(liveStatus(base, flight({ kind: 'drift', step: 'check' }), NOW)).toEqual({ phase: 'healthy', detail: 'drift pass, step check', at: NOW });
    expect(liveStatus({ ...base, stopped: true, status: 'stopped' }, flight({ kind: 'drift', step: 'check' }), NOW).phase).toBe('stopped');
  });

  it('says waiting, for what and until when, while a request waits in the pending slot', () => {
    const interval = { ...base, pending: deploy, lastStartedAt: NOW - 1_000, policy: { ...defaultPolicy, minIntervalMs: 5_000 } };
    expect(liveStatus(interval, undefined, NOW)).toEqual({ phase: 'waiting', detail: 'minimum interval', until: NOW + 4_000, at: NOW });

    const gated = { ...base, pending: deploy, policy: { ...defaultPolicy, approval: { required: true, expiresAfterMs: 3_600_000 } } } as CarriedState;
    expect(liveStatus(gated, undefined, NOW)).toEqual({ phase: 'waiting', detail: 'approval', at: NOW });
    const approval: AwaitingApproval = { requestId: 'r2', kind: 'deploy', requestedBy: 'ci', since: NOW, expiresAt: NOW + 3_600_000, historyKey: 'k', summary: { created: 0, configured: 1, unchanged: 2, pruned: 0 }, opsSha: 'abc' };
    expect(liveStatus({ ...gated, approval }, undefined, NOW)).toEqual({ phase: 'waiting', detail: 'approval', until: NOW + 3_600_000, at: NOW });

    const frozen = { ...base, pending: deploy, policy: { ...defaultPolicy, freezeWindows: [{ kind: 'one-off', name: 'launch', from: '2026-12-06T00:00:00.000Z', until: '2026-12-07T00:00:00.000Z' }] } } as CarriedState;
    expect(liveStatus(frozen, undefined, NOW)).toEqual({ phase: 'waiting', detail: "freeze 'launch'", until: Date.parse('2026-12-07T00:00:00Z'), at: NOW });
    expect(liveStatus(frozen, undefined, Date.parse('2026-12-07T00:00:01Z')).phase).toBe('healthy');
  });

  it('says the recorded status otherwise, stopped for a stopped environment, and new before any release', () => {
    expect(liveStatus({ ...base, status: 'failed' }, undefined, NOW)).toEqual({ phase: 'failed', at: NOW });
    expect(liveStatus({ ...base, status: 'healthy', stopped: true }, undefined, NOW).phase).toBe('stopped');
    expect(liveStatus({ ...base, status: 'new' }, undefined, NOW).phase).toBe('new');
  });

  it('reports again only when what it says changed, not when only the time did', () => {
    const first = liveStatus(base, flight({}), NOW);
    expect(sameLiveStatus(first, liveStatus(base, flight({}), NOW + 5_000))).toBe(true);
    expect(sameLiveStatus(first, liveStatus(base, flight({ step: 'health' }), NOW))).toBe(false);
    expect(sameLiveStatus(undefined, first)).toBe(false);
    expect(describeLiveStatus(first)).toBe('deploying: deploy, step apply');
    expect(describeLiveStatus({ phase: 'healthy' })).toBe('healthy');
  });
});
