import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../activities/types.js';
import { requestIn } from '../../src/client/request-standing.js';
import type { EnvironmentState, Release } from '../../workflows/state.js';

const release = (seq: number, requestId: string, status: Release['status']): Release => ({
  seq, action: 'deploy', imageRef: `web:${seq}`, status, pinned: false, requestId, startedAt: seq,
});

const state: EnvironmentState = {
  project: 'shop', environment: 'prod', firstRunId: 'run-1', waitingFor: 'nothing',
  policy: defaultPolicy, status: 'healthy', stopped: false, nextSeq: 3, run: 4,
  releases: [release(2, 'r-ran', 'healthy'), release(1, 'r-old', 'failed')],
  requests: [{ requestId: 'r-now', kind: 'deploy', outcome: 'running', position: 900, releaseSeq: 3 }],
  nextRequestPosition: 901,
  forgottenThrough: 40,
};

describe('where a request stands', () => {
  it('answers from the log while it lists the request', () => {
    expect(requestIn(state, 'r-now').request).toMatchObject({ outcome: 'running', position: 900 });
  });

  it('knows a request the log dropped after the last one forgotten otherwise was superseded, by its receipt alone', () => {
    expect(requestIn(state, 'r-500', { position: 500, firstRunId: 'run-1' }).request).toMatchObject({ outcome: 'superseded', position: 500 });
  });

  it('answers an older dropped request from the release it made, else says the workflow forgot it', () => {
    expect(requestIn(state, 'r-ran', { position: 30, firstRunId: 'run-1' })).toMatchObject({ request: { outcome: 'healthy', releaseSeq: 2 }, release: { seq: 2 } });
    expect(requestIn(state, 'r-old', { position: 20, firstRunId: 'run-1' }).request).toMatchObject({ outcome: 'failed', releaseSeq: 1 });
    expect(requestIn(state, 'r-gone', { position: 10, firstRunId: 'run-1' }).request?.outcome).toBe('forgotten');
  });

  it('has no word without a receipt, for a position not given yet, or one of another chain of runs', () => {
    expect(requestIn(state, 'r-500')).toEqual({});
    expect(requestIn(state, 'r-late', { position: 901, firstRunId: 'run-1' })).toEqual({});
    expect(requestIn(state, 'r-500', { position: 500, firstRunId: 'run-0' })).toEqual({});
    expect(requestIn(undefined, 'r-500', { position: 500, firstRunId: 'run-1' })).toEqual({});
  });
});
