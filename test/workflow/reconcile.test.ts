// Changes arrive as events: the ops repo's poller and the cluster watcher send `reconcile`, and the
// environment runs a drift pass at once instead of at its safety-net interval (here 10 minutes).
import { describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../activities/types.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { harnessPerTest, type WorkflowHarness } from './harness.js';

const slowSafetyNet = { minIntervalMs: 50, driftIntervalMs: 600_000 };
const startHarness = harnessPerTest();
const start = () => startHarness({ policy: slowSafetyNet });

const rows = (h: WorkflowHarness, where: Partial<HistoryRecord>) =>
  [...h.recorder.history.values()].filter((row) => Object.entries(where).every(([key, value]) => row[key as keyof HistoryRecord] === value));

describe('the environment workflow, told of a change', () => {
  it('re-applies at once when the cluster watcher reports drift, and records what was noticed', async () => {
    const h = await start();
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    h.recorder.applyChanges = true;
    const sentAt = Date.now();
    await h.reconcile('prod', { source: 'cluster', detail: 'Deployment/web: fields taken by kubectl-edit' });
    await h.reconcile('prod', { source: 'cluster', detail: 'ConfigMap/web-config deleted' });

    const row = await waitFor('a recorded correction', () => rows(h, { action: 'drift', status: 'corrected' })[0], { timeoutMs: 10_000 });
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(row.requestedBy).toBe('deployer (cluster)');
    expect(row.reason).toContain('noticed: ');
    expect(row.reason).toContain('Deployment/web: fields taken by kubectl-edit');
    const idle = await h.waitForState('prod', 'idle again', (s) => !s.inFlight && s.reconcile === undefined);
    expect(idle.waitingFor).toMatch(/^idle: next safety-net drift pass at /);
    // Both reports close together made at most two passes, not one per report plus the timer's.
    expect(h.recorder.callsOf('applyManifests').length).toBeLessThanOrEqual(3);
  });

  it('renders the commit the ops repo poller saw, without fetching the branch again', async () => {
    const h = await start();
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    await h.reconcile('prod', { source: 'ops-repo', detail: 'main moved to sha-9', opsSha: 'sha-9' });

    const moved = await h.waitForState('prod', 'the release to follow the poller', (s) => s.current?.opsSha === 'sha-9' && !s.inFlight, 10_000);
    expect(moved.current).toMatchObject({ seq: 1, imageRef: 'web:1' });
    const syncs = h.recorder.callsOf('syncOpsRepo');
    expect(syncs.at(-1)?.input).toMatchObject({ knownHead: 'sha-9' });
    const row = await waitFor('the drift row', () => rows(h, { action: 'drift', status: 'corrected' })[0]);
    expect(row).toMatchObject({ sha: 'sha-9', requestedBy: 'deployer (ops-repo)' });
    expect(row.reason).toBe('ops repo moved to sha-9; noticed: main moved to sha-9');
  });

  it('lets the release waiting next serve a reconcile that arrived during the one in flight', async () => {
    const h = await start();
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    h.recorder.holdRollouts = true;
    await h.deploy('prod', 'web:2');
    await waitFor('the rollout of web:2 to be held', () => h.recorder.rolloutsWaiting === 1);
    await h.reconcile('prod', { source: 'cluster', detail: 'Service/web changed by someone' });
    await h.reconcile('prod', { source: 'cluster', detail: `ConfigMap/web-config deleted; ${'x'.repeat(600)}` });
    const wanted = await h.state('prod');
    // Both reports wait as one, their account bounded.
    expect(wanted.reconcile?.sources).toEqual(['cluster']);
    expect(wanted.reconcile?.detail).toMatch(/^ConfigMap\/web-config deleted; x+…$/);
    expect(wanted.reconcile?.detail).toHaveLength(500);
    // web:3 waits in the pending slot before web:2 ends, so the loop takes it first: its release
    // serves the reconcile. (Sent after web:2 ended, it raced a drift pass under load.)
    await h.deploy('prod', 'web:3');
    expect((await h.state('prod')).pending).toMatchObject({ imageRef: 'web:3' });
    h.recorder.releaseRollouts();
    const done = await h.waitForState('prod', 'web:3 healthy', (s) => s.current?.imageRef === 'web:3' && !s.inFlight);
    expect(done.reconcile).toBeUndefined();
    // web:2's release and web:3's: no drift pass between or after them.
    expect(h.recorder.callsOf('syncOpsRepo')).toHaveLength(3);
    expect(rows(h, { action: 'drift' })).toEqual([]);
  });
});
