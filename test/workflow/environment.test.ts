// The environment workflow on the stack's real Temporal dev server, with recording activities:
// each test asserts which activity calls happened, in which order and at what workflow time.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { harnessPerTest } from './harness.js';

const fast = { minIntervalMs: 50, driftIntervalMs: 60_000 };
const start = harnessPerTest();

describe('the environment workflow', () => {
  it('runs exactly one more deployment, of the last image, for 100 deploys sent while one is in flight', async () => {
    const h = await start({ policy: fast });
    h.recorder.holdRollouts = true;
    await h.deploy('prod', 'web:0');
    await waitFor('the first rollout to be held', () => h.recorder.rolloutsWaiting === 1);

    const ids: string[] = [];
    for (let i = 1; i <= 100; i++) ids.push(await h.deploy('prod', `web:${i}`));
    const waiting = await h.state('prod');
    expect(waiting.pending).toMatchObject({ kind: 'deploy', imageRef: 'web:100' });
    expect(waiting.waitingFor).toMatch(/^deployment in flight: deploy .*, step health$/);
    h.recorder.releaseRollouts();

    const done = await h.waitForState('prod', 'web:100 to be healthy', (s) => s.current?.imageRef === 'web:100' && !s.inFlight);
    const rendered = h.recorder.callsOf('renderManifests').map((c) => c.input.imageRef);
    expect(rendered).toEqual(['web:0', 'web:100']);
    expect(done.releases.map((r) => r.imageRef)).toEqual(['web:100', 'web:0']);
    const superseded = done.requests.filter((r) => r.outcome === 'superseded').map((r) => r.requestId);
    expect(superseded).toHaveLength(48); // the request log keeps the newest 50: 48 superseded + web:100 + web:0
    expect(superseded).toEqual(ids.slice(51, 99).reverse());
  });

  it('keeps the minimum interval between starts, durably, across a worker restart', async () => {
    const h = await start({ policy: { minIntervalMs: 1_500, driftIntervalMs: 60_000 } });
    await h.deploy('prod', 'web:1');
    // Sent before the first started, the second would simply replace it (latest wins).
    await h.waitForState('prod', 'web:1 to start', (s) => s.inFlight?.releaseSeq === 1 || s.current?.seq === 1);
    await h.deploy('prod', 'web:2');
    await h.waitForState('prod', 'the wait for the minimum interval', (s) => s.waitingFor.startsWith('minimum interval until'));
    await h.stopWorker(); // killed during the durable sleep
    await h.startWorker();

    const done = await h.waitForState('prod', 'web:2 to be healthy', (s) => s.current?.imageRef === 'web:2' && !s.inFlight);
    const [first, second] = [...done.releases].reverse();
    expect(second!.startedAt - first!.startedAt).toBeGreaterThanOrEqual(1_500);
    console.info(`minimum interval 1500 ms: second start ${second!.startedAt - first!.startedAt} ms after the first (workflow time), worker restarted during the wait`);
    const loads = h.recorder.callsOf('loadEnvironment');
    expect(loads).toHaveLength(2);
    // Nothing of the second deployment was even scheduled before the interval had passed.
    expect(loads[1]!.scheduledAt - first!.startedAt).toBeGreaterThanOrEqual(1_500);
  });

  it('re-applies the desired release on the drift timer without changing it', async () => {
    const h = await start({ policy: { minIntervalMs: 50, driftIntervalMs: 700 } });
    await h.deploy('prod', 'web:1');
    const healthy = await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    await waitFor('two drift passes', () => h.recorder.callsOf('applyManifests').length >= 3, { timeoutMs: 10_000 });

    const after = await h.state('prod');
    expect(after.desired).toEqual(healthy.desired);
    expect(after.releases).toHaveLength(1);
    const applies = h.recorder.callsOf('applyManifests');
    expect(applies[1]!.scheduledAt - applies[0]!.scheduledAt).toBeGreaterThanOrEqual(700);
    // Nothing changed, so no drift row was written.
    expect([...h.recorder.history.values()].filter((r) => r.action === 'drift')).toHaveLength(0);

    // When the re-apply does change something, the correction is recorded.
    h.recorder.applyChanges = true;
    await waitFor('a recorded drift correction', () => [...h.recorder.history.values()].some((r) => r.action === 'drift' && r.status === 'corrected'), { timeoutMs: 10_000 });
  });

  it('rolls back to the previous healthy release with its ops SHA and values, and refuses a rollback with no target', async () => {
    const h = await start({ policy: fast });
    h.recorder.branchHead = 'sha-a';
    await h.deploy('prod', 'web:a', { valuesOverride: { tier: 'a' } });
    await h.waitForState('prod', 'a healthy', (s) => s.current?.imageRef === 'web:a' && !s.inFlight);
    h.recorder.branchHead = 'sha-b';
    await h.deploy('prod', 'web:b', { valuesOverride: { tier: 'b' } });
    await h.waitForState('prod', 'b healthy', (s) => s.current?.imageRef === 'web:b' && !s.inFlight);
    h.recorder.branchHead = 'sha-c'; // the branch moved on; the rollback must not follow it

    await h.rollback('prod');
    const back = await h.waitForState('prod', 'a again', (s) => s.current?.action === 'rollback' && !s.inFlight);
    expect(back.current).toMatchObject({ imageRef: 'web:a', opsSha: 'sha-a', valuesOverride: { tier: 'a' }, pinned: true, status: 'healthy' });
    expect(h.recorder.callsOf('syncOpsRepo').at(-1)!.input.pinSha).toBe('sha-a');
    expect(h.recorder.callsOf('renderManifests').at(-1)!.input).toMatchObject({ imageRef: 'web:a', sha: 'sha-a', valuesOverrides: [{}, { tier: 'a' }] });

    const refused = await h.rollback('fresh');
    const fresh = await h.waitForState('fresh', 'the refused rollback', (s) => s.requests.some((r) => r.requestId === refused && r.outcome === 'failed'));
    expect(fresh.requests.find((r) => r.requestId === refused)?.detail).toContain('nothing to roll back to');
    const row = await waitFor('the refusal to be recorded', () => [...h.recorder.history.values()].find((r) => r.requestId === refused));
    expect(row).toMatchObject({ action: 'rollback', status: 'failed', errorType: 'RequestRefused' });
    // The workflow keeps running and takes the next request.
    await h.deploy('fresh', 'web:1');
    await h.waitForState('fresh', 'the deploy after the refusal', (s) => s.current?.imageRef === 'web:1');
  });

  it('restores the previous release when a rollout fails, records both, and drift keeps the restored one', async () => {
    const h = await start({ policy: { minIntervalMs: 50, driftIntervalMs: 800 }, failingImages: ['web:bad'] });
    await h.deploy('prod', 'web:good');
    await h.waitForState('prod', 'good healthy', (s) => s.current?.imageRef === 'web:good' && !s.inFlight);
    const badRequest = await h.deploy('prod', 'web:bad');
    const restored = await h.waitForState('prod', 'the auto-rollback', (s) => s.current?.action === 'auto-rollback' && !s.inFlight);

    expect(restored.desired).toMatchObject({ imageRef: 'web:good', action: 'auto-rollback', status: 'healthy' });
    expect(restored.releases.map((r) => [r.imageRef, r.status])).toEqual([
      ['web:good', 'healthy'],
      ['web:bad', 'failed'],
      ['web:good', 'healthy'],
    ]);
    expect(restored.requests.find((r) => r.requestId === badRequest)).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('ProgressDeadlineExceeded') });
    const rows = [...h.recorder.history.values()];
    expect(rows.find((r) => r.imageRef === 'web:bad')).toMatchObject({ action: 'deploy', status: 'failed', error: expect.stringContaining('ProgressDeadlineExceeded') });
    expect(rows.find((r) => r.action === 'auto-rollback')).toMatchObject({ status: 'healthy', imageRef: 'web:good' });

    const rendersBefore = h.recorder.callsOf('renderManifests').length;
    await waitFor('a drift pass', () => h.recorder.callsOf('renderManifests').length > rendersBefore, { timeoutMs: 10_000 });
    expect(h.recorder.callsOf('renderManifests').at(-1)!.input.imageRef).toBe('web:good');
  });

  it('never re-applies a release that did not become healthy: drift keeps the last healthy one, and says so', async () => {
    const h = await start({ policy: { minIntervalMs: 50, driftIntervalMs: 700, autoRollback: false }, failingImages: ['web:bad'] });
    // With nothing healthy yet, a failed release is not applied again at all.
    await h.deploy('fresh', 'web:bad');
    const alone = await h.waitForState('fresh', 'the failure', (s) => s.desired?.status === 'failed' && !s.inFlight);
    expect(alone.waitingFor).toMatch(/^desired release #1 \(web:bad\) failed \(.*ProgressDeadlineExceeded.*\): deploy a fixed release or roll back; nothing healthy is applied until then$/);
    const freshApplies = h.recorder.callsOf('applyManifests', 'deploy/' + h.project + '/fresh').length;

    await h.deploy('prod', 'web:good');
    await h.waitForState('prod', 'good healthy', (s) => s.current?.imageRef === 'web:good' && !s.inFlight);
    await h.deploy('prod', 'web:bad');
    const failed = await h.waitForState('prod', 'the failed release', (s) => s.desired?.imageRef === 'web:bad' && s.desired.status === 'failed' && !s.inFlight);
    expect(failed.current).toMatchObject({ imageRef: 'web:good' });
    expect(failed.waitingFor).toMatch(/^desired release #2 \(web:bad\) failed .*; drift passes keep release #1 \(web:good\) in place until then$/);

    const rendersBefore = h.recorder.callsOf('renderManifests').length;
    await waitFor('two drift passes', () => h.recorder.callsOf('renderManifests').length >= rendersBefore + 2, { timeoutMs: 10_000 });
    const driftRenders = h.recorder.callsOf('renderManifests').slice(rendersBefore).map((c) => c.input.imageRef);
    expect(new Set(driftRenders)).toEqual(new Set(['web:good']));
    expect(h.recorder.callsOf('applyManifests', 'deploy/' + h.project + '/fresh')).toHaveLength(freshApplies);
  });

  it('stops by scaling to zero, keeps it stopped on drift, and resumes on the next deploy', async () => {
    const h = await start({ policy: { minIntervalMs: 50, driftIntervalMs: 700 } });
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    await h.stop('prod');
    const stopped = await h.waitForState('prod', 'stopped', (s) => s.status === 'stopped' && !s.inFlight);
    expect(stopped.waitingFor).toBe('stopped: a deploy resumes the environment');
    expect(h.recorder.callsOf('scaleWorkloads').map((c) => c.input.action)).toEqual(['stop']);

    await waitFor('drift to scale to zero again', () => h.recorder.callsOf('scaleWorkloads').length >= 2, { timeoutMs: 10_000 });
    expect(h.recorder.callsOf('scaleWorkloads').every((c) => c.input.action === 'stop')).toBe(true);
    const appliesWhileStopped = h.recorder.callsOf('applyManifests').length;
    expect(appliesWhileStopped).toBe(1);

    await h.deploy('prod', 'web:2');
    const resumed = await h.waitForState('prod', 'resumed', (s) => s.current?.imageRef === 'web:2' && !s.inFlight);
    expect(resumed.stopped).toBe(false);
    expect(h.recorder.callsOf('scaleWorkloads').at(-1)!.input.action).toBe('resume');
    const names = h.recorder.calls.filter((c) => ['applyManifests', 'scaleWorkloads', 'waitForRollout'].includes(c.name)).slice(-3).map((c) => c.name);
    expect(names).toEqual(['applyManifests', 'scaleWorkloads', 'waitForRollout']);
  });

  it('cancels the wait for health on request, records it cancelled, and then runs the pending request', async () => {
    const h = await start({ policy: fast });
    h.recorder.holdRollouts = true;
    const first = await h.deploy('prod', 'web:1');
    await waitFor('the rollout to be held', () => h.recorder.rolloutsWaiting === 1);
    await h.deploy('prod', 'web:2');
    h.recorder.holdRollouts = false;
    await h.cancel('prod');

    const done = await h.waitForState('prod', 'web:2 healthy', (s) => s.current?.imageRef === 'web:2' && !s.inFlight);
    expect(h.recorder.cancelledRollouts).toEqual([h.workflowId('prod')]);
    expect(done.releases.map((r) => [r.imageRef, r.status])).toEqual([['web:2', 'healthy'], ['web:1', 'cancelled']]);
    expect(done.requests.find((r) => r.requestId === first)?.outcome).toBe('cancelled');
    expect([...h.recorder.history.values()].find((r) => r.requestId === first)).toMatchObject({ status: 'cancelled' });
  });

  it('finishes a deployment on a new worker when the old one dies mid-rollout, each side effect once', async () => {
    const h = await start({ policy: fast });
    h.recorder.holdRollouts = true;
    await h.deploy('prod', 'web:1');
    await waitFor('the rollout to be held', () => h.recorder.rolloutsWaiting === 1);
    await h.stopWorker();
    h.recorder.holdRollouts = false;
    await h.startWorker();

    const done = await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    expect(done.status).toBe('healthy');
    for (const name of ['loadEnvironment', 'syncOpsRepo', 'renderManifests', 'applyManifests'] as const) {
      expect(h.recorder.callsOf(name), name).toHaveLength(1);
    }
    const rollouts = h.recorder.callsOf('waitForRollout');
    expect(rollouts.map((c) => c.attempt)).toEqual([1, 2]);
    const rows = [...h.recorder.history.values()].filter((r) => r.action === 'deploy');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'healthy', imageRef: 'web:1' });
  });

  it('retries an apply whose worker went away, the apply being scheduled with a heartbeat timeout', async () => {
    const h = await start({ policy: fast });
    h.recorder.holdApplies = true;
    await h.deploy('prod', 'web:1');
    await waitFor('the apply to be running', () => h.recorder.applyStarted === 1);
    await h.stopWorker();
    h.recorder.holdApplies = false;
    await h.startWorker();

    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight, 60_000);
    expect(h.recorder.callsOf('applyManifests').map((c) => c.attempt)).toEqual([1, 2]);
    // The release's apply (its load, sync and render with it) is scheduled with a 15 s heartbeat
    // timeout: a dead worker's apply is retried after that, not after the 10-minute start-to-close.
    const history = await h.handle('prod').fetchHistory();
    const scheduled = (history.events ?? []).find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyRelease');
    expect(scheduled?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds?.toString()).toBe('15');
  });

  it('publishes its state to the Temporal UI: search attributes, current details and step summaries', async () => {
    const h = await start({ policy: fast });
    await h.deploy('prod', 'web:ui');
    await h.waitForState('prod', 'healthy', (s) => s.current?.imageRef === 'web:ui' && !s.inFlight);
    const description = await h.handle('prod').describe();
    const attrs = Object.fromEntries(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]));
    expect(attrs).toMatchObject({ DeployProject: h.project, DeployEnvironment: 'prod', DeployImage: 'web:ui', DeployStatus: 'healthy' });
    expect(await description.staticSummary()).toBe(`Deployments of ${h.project} to prod`);
    const listed = await waitFor('the visibility index to list it by image', async () => {
      const found = [];
      for await (const execution of h.client.workflow.list({ query: `DeployProject = "${h.project}" AND DeployImage = "web:ui"` })) found.push(execution.workflowId);
      return found.length > 0 ? found : undefined;
    }, { timeoutMs: 15_000 });
    expect(listed).toEqual([h.workflowId('prod')]);
    const history = await h.handle('prod').fetchHistory();
    const summaries = (history.events ?? [])
      .map((event) => event.userMetadata?.summary?.data)
      .filter((data): data is Uint8Array => data instanceof Uint8Array)
      .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as string);
    expect(summaries).toEqual(expect.arrayContaining([`load ${h.project}/prod, sync its ops repo, render and apply web:ui`, `wait for 1 objects in ns ${h.project}-prod to be healthy`]));
  });
});
