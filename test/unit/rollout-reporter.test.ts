// The rollout's counts on their way to the environment's page: each change handed over once, only
// the newest while a write is under way, none for a workflow that is not an environment's, and a
// failed write reported without stopping the wait. Which counts a reader shows: the stored ones
// only while the step that wrote them is still pending in that run.
import { describe, expect, it } from 'vitest';
import { rolloutReporter } from '../../activities/rollout-reporter.js';
import { rolloutInFlight } from '../../src/api/rollout-in-flight.js';
import type { RolloutReport } from '../../src/db/environment-rollout.js';
import { environmentOfWorkflowId, environmentWorkflowId } from '../../src/domain/environment-workflow-id.js';
import type { RolloutProgress } from '../../src/domain/vocabulary.js';

const counts = (updated: number, ready: number): RolloutProgress[] => [
  { ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop-prod' }, desired: 2, updated, ready, available: ready, done: false },
];
const step = { workflowExecution: { workflowId: environmentWorkflowId('shop', 'prod'), runId: 'run-1' }, activityId: '5' };

describe('the rollout reporter', () => {
  it('hands each change over once, and only the newest while a write is under way', async () => {
    const written: RolloutReport[] = [];
    const pending: Array<() => void> = [];
    const report = (r: RolloutReport) =>
      new Promise<void>((resolve) => {
        written.push(r);
        pending.push(resolve);
      });
    const seen = rolloutReporter(report, step, () => undefined);
    seen(counts(0, 2));
    seen(counts(0, 2)); // the same counts again: nothing to write
    seen(counts(1, 2)); // while the first write is under way…
    seen(counts(1, 1)); // …only the newest waits
    expect(written.map((r) => r.workloads)).toEqual([counts(0, 2)]);
    pending.shift()!();
    await expect.poll(() => written.length).toBe(2);
    expect(written[1]).toEqual({ project: 'shop', environment: 'prod', runId: 'run-1', activityId: '5', workloads: counts(1, 1) });
    pending.shift()!();
  });

  it('writes nothing for a workflow that is not an environment’s, and reports a failed write without throwing', async () => {
    const written: RolloutReport[] = [];
    rolloutReporter(async (r) => void written.push(r), { ...step, workflowExecution: { workflowId: 'preview/shop/prod/req-1', runId: 'r' } }, () => undefined)(counts(0, 2));
    rolloutReporter(async (r) => void written.push(r), { activityId: '1' }, () => undefined)(counts(0, 2));
    expect(written).toEqual([]);

    const errors: unknown[] = [];
    const failing = rolloutReporter(() => Promise.reject(new Error('connection refused')), step, (error) => errors.push(error));
    failing(counts(0, 2));
    await expect.poll(() => errors.length).toBe(1);
    expect(String(errors[0])).toContain('connection refused');
    // The next change is tried again.
    failing(counts(1, 2));
    await expect.poll(() => errors.length).toBe(2);
  });

  it('reads an environment back from its workflow id only', () => {
    expect(environmentOfWorkflowId(environmentWorkflowId('shop', 'prod'))).toEqual({ project: 'shop', environment: 'prod' });
    for (const id of ['preview/shop/prod/x', 'deploy/shop', 'deploy/shop/prod/extra', 'deploy//prod', 'cluster-watcher/q']) {
      expect(environmentOfWorkflowId(id)).toBeUndefined();
    }
  });
});

describe('the rollout counts a reader shows', () => {
  const description = (runId: string, pending: Array<{ activityId: string; type: string }>) => ({
    runId,
    raw: { pendingActivities: pending.map((a) => ({ activityId: a.activityId, activityType: { name: a.type } })) },
  });
  const stored = { runId: 'run-1', activityId: '5', workloads: counts(1, 1) };
  const heartbeated = [{ activityType: 'waitForRollout', details: { workloads: counts(0, 2) } }];

  it('are the stored ones while the step that wrote them is pending in that run', () => {
    expect(rolloutInFlight(description('run-1', [{ activityId: '5', type: 'waitForRollout' }]) as never, stored, heartbeated)).toEqual(counts(1, 1));
    expect(rolloutInFlight(description('run-1', [{ activityId: '5', type: 'rollOutRelease' }]) as never, stored, heartbeated)).toEqual(counts(1, 1));
  });

  it("are the heartbeat's for another run, another step, or none stored", () => {
    expect(rolloutInFlight(description('run-2', [{ activityId: '5', type: 'waitForRollout' }]) as never, stored, heartbeated)).toEqual(counts(0, 2));
    expect(rolloutInFlight(description('run-1', [{ activityId: '7', type: 'waitForRollout' }]) as never, stored, heartbeated)).toEqual(counts(0, 2));
    expect(rolloutInFlight(description('run-1', [{ activityId: '5', type: 'applyRelease' }]) as never, stored, heartbeated)).toEqual(counts(0, 2));
    expect(rolloutInFlight(description('run-1', []) as never, null, [])).toEqual([]);
  });
});
