// The rollout counts the health step heartbeats, as the CLI and the dashboard read them, and the
// words the environment page puts them in.
import { describe, expect, it } from 'vitest';
import { describeRollout } from '../../src/client/describe-rollout.js';
import { rolloutProgressIn } from '../../src/client/rollout-progress.js';
import type { RolloutProgress } from '../../src/domain/vocabulary.js';

const web: RolloutProgress = { ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' }, desired: 3, updated: 2, ready: 1, available: 1, done: false };

describe('rolloutProgressIn', () => {
  it("reads the workloads from the rollout activity's heartbeat, whichever of its names it runs under", () => {
    expect(rolloutProgressIn([{ activityType: 'applyManifests', details: { workloads: ['not this'] } }, { activityType: 'waitForRollout', details: { startedAt: 1, workloads: [web] } }])).toEqual([web]);
    expect(rolloutProgressIn([{ activityType: 'rollOutRelease', details: { startedAt: 1, workloads: [web], unavailable: { since: 1, error: 'x' } } }])).toEqual([web]);
  });

  it('is empty without a rollout, or before its first poll', () => {
    expect(rolloutProgressIn([])).toEqual([]);
    expect(rolloutProgressIn([{ activityType: 'syncOpsRepo', details: { sha: 'abc' } }])).toEqual([]);
    expect(rolloutProgressIn([{ activityType: 'waitForRollout', details: { startedAt: 1 } }])).toEqual([]);
    expect(rolloutProgressIn([{ activityType: 'waitForRollout', details: null }])).toEqual([]);
  });
});

describe('describeRollout', () => {
  it('says how many replicas are updated and ready of those desired', () => {
    expect(describeRollout(web)).toBe('Deployment web: 2 of 3 updated, 1 ready');
    expect(describeRollout({ ...web, message: 'Waiting for deployment "web" rollout to finish' })).toBe(
      'Deployment web: 2 of 3 updated, 1 ready (Waiting for deployment "web" rollout to finish)',
    );
    expect(describeRollout({ ...web, updated: 3, ready: 3, available: 3, done: true })).toBe('Deployment web: 3 of 3 updated, 3 ready (done)');
  });
});
