// The environment workflow's less travelled paths: drift passes that fail and recover, stops that
// fail or interrupt a deploy, cancels and refusals of every kind, failed releases with nothing to
// return to. Each test asserts what the workflow did; their recorded histories are what lets the
// replay suite check a workflow change on these paths (test/replay/, coverage of workflows/).
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import type { HistoryRecord } from '../../activities/types.js';
import { harnessPerTest, type WorkflowHarness } from './harness.js';
import { stateQuery } from '../../workflows/messages.js';

const fast = { minIntervalMs: 50, driftIntervalMs: 60_000 };
const drifting = { minIntervalMs: 50, driftIntervalMs: 700 };
const start = harnessPerTest();

const rows = (h: WorkflowHarness, where: Partial<HistoryRecord> = {}) =>
  [...h.recorder.history.values()].filter((row) => Object.entries(where).every(([key, value]) => row[key as keyof HistoryRecord] === value));

async function healthy(h: WorkflowHarness, environment: string, imageRef: string) {
  await h.deploy(environment, imageRef);
  return h.waitForState(environment, `${imageRef} healthy`, (s) => s.current?.imageRef === imageRef && s.desired?.status === 'healthy' && !s.inFlight);
}

describe('the environment workflow, on its less travelled paths', () => {
  it('records a failing drift pass once per distinct error, and the next good pass clears it and records the correction', async () => {
    const h = await start({ policy: drifting });
    const before = await healthy(h, 'prod', 'web:1');
    const templateError = { message: 'app.yaml.njk: unexpected end of template', type: 'TemplateError' };
    h.recorder.failNext('renderManifests', templateError, templateError);
    h.recorder.failNext('applyManifests', { message: 'the API server closed the connection' });

    const failing = await h.waitForState('prod', 'a failed drift pass', (s) => s.lastDriftError !== undefined, 10_000);
    expect(failing.lastDriftError).toBe(templateError.message);
    expect(failing.status).toBe('healthy');
    await waitFor('the second pass to fail alike, then one to fail at apply', () => h.recorder.callsOf('applyManifests').length >= 2, { timeoutMs: 10_000 });
    h.recorder.applyChanges = true;
    await waitFor('a recorded drift correction', () => rows(h, { action: 'drift', status: 'corrected' }).length > 0, { timeoutMs: 10_000 });

    // Two passes failed the same way: one row. The apply failure is another error: another row.
    expect(rows(h, { action: 'drift' }).map((r) => [r.status, r.error])).toEqual([
      ['failed', templateError.message],
      ['failed', 'the API server closed the connection'],
      ['corrected', undefined],
    ]);
    expect(rows(h, { action: 'drift', status: 'failed' })[0]!.errorType).toBe('TemplateError');
    const recovered = await h.waitForState('prod', 'the error cleared', (s) => s.lastDriftError === undefined && !s.inFlight);
    expect(recovered.desired).toEqual(before.desired);
    expect(recovered.releases).toHaveLength(1);
  });

  it('follows the ops repo branch on a drift pass: the moved commit is applied, waited for and recorded', async () => {
    const h = await start({ policy: drifting });
    await healthy(h, 'prod', 'web:1');
    h.recorder.branchHead = 'sha-2';

    const moved = await h.waitForState('prod', 'the release to follow the branch', (s) => s.current?.opsSha === 'sha-2' && !s.inFlight, 10_000);
    expect(moved.current).toMatchObject({ seq: 1, imageRef: 'web:1', manifestHash: 'sha-2:web:1:[{},{}]' });
    expect(moved.desired).toEqual(moved.current);
    expect(h.recorder.callsOf('waitForRollout')).toHaveLength(2);
    const row = await waitFor('the drift row', () => rows(h, { action: 'drift', status: 'corrected' })[0]);
    expect(row).toMatchObject({ imageRef: 'web:1', sha: 'sha-2', reason: 'ops repo moved to sha-2' });
  });

  it('keeps a stopped environment at zero without a record when nothing was scaled up, and ignores a second stop', async () => {
    const h = await start({ policy: drifting });
    await healthy(h, 'prod', 'web:1');
    await h.stop('prod');
    await h.waitForState('prod', 'stopped', (s) => s.status === 'stopped' && !s.inFlight);
    h.recorder.nothingToScale = true;

    await waitFor('two drift passes', () => h.recorder.callsOf('scaleWorkloads').length >= 3, { timeoutMs: 10_000 });
    expect(new Set(h.recorder.callsOf('scaleWorkloads').map((c) => c.input.action))).toEqual(new Set(['stop']));
    expect(rows(h, { action: 'drift' })).toEqual([]);

    const again = await h.stop('prod');
    const ignored = await h.waitForState('prod', 'the second stop', (s) => s.requests.some((r) => r.requestId === again && r.outcome === 'ignored'));
    expect(ignored.requests.find((r) => r.requestId === again)?.detail).toBe('already stopped');
    expect(ignored.status).toBe('stopped');
    expect(rows(h, { requestId: again })).toEqual([]);
  });

  it('records a stop whose scaling fails, leaves the environment running, and stops on the next stop', async () => {
    const h = await start({ policy: fast });
    await healthy(h, 'prod', 'web:1');
    const failure = { message: 'the Kubernetes API server has not answered since 12:00:00', type: 'KubernetesUnavailable' };
    h.recorder.failNext('scaleWorkloads', failure);

    const first = await h.stop('prod');
    const failed = await h.waitForState('prod', 'the failed stop', (s) => s.requests.some((r) => r.requestId === first && r.outcome === 'failed') && !s.inFlight);
    expect(failed).toMatchObject({ status: 'failed', stopped: false, current: { imageRef: 'web:1' } });
    expect(failed.requests.find((r) => r.requestId === first)?.detail).toBe(failure.message);
    const row = await waitFor('the stop row', () => rows(h, { requestId: first, status: 'failed' })[0]);
    expect(row).toMatchObject({ action: 'stop', error: failure.message, errorType: 'KubernetesUnavailable' });
    expect(h.recorder.callsOf('recordCurrentState').at(-1)!.input).toMatchObject({ desiredStatus: 'running', currentStatus: 'failed' });

    const second = await h.stop('prod');
    await h.waitForState('prod', 'stopped', (s) => s.status === 'stopped' && s.stopped && !s.inFlight);
    expect(rows(h, { requestId: second })).toMatchObject([{ action: 'stop', status: 'stopped' }]);
  });

  it('records a stop failed by timeout when its scaling goes silent on the last attempt', async () => {
    const h = await start({ policy: fast });
    await healthy(h, 'prod', 'web:1');
    const transient = { message: 'the Kubernetes API server answered 503', retryable: true };
    // Four quick retryable failures, then an attempt that never heartbeats: the step's heartbeat
    // timeout (15 s) ends it, and with it the last of the step's five attempts.
    h.recorder.failNext('scaleWorkloads', transient, transient, transient, transient, { stallMs: 25_000 });

    const stop = await h.stop('prod');
    const failed = await h.waitForState('prod', 'the stop to fail', (s) => s.requests.some((r) => r.requestId === stop && r.outcome === 'failed') && !s.inFlight, 90_000);
    expect(failed).toMatchObject({ status: 'failed', stopped: false });
    expect(h.recorder.callsOf('scaleWorkloads').map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5]);
    const row = await waitFor('the stop row', () => rows(h, { requestId: stop, status: 'failed' })[0]);
    expect(row.error).toMatch(/heartbeat/i);
    // A timeout is not an ApplicationFailure: there is no error type to record.
    expect(row.errorType).toBeUndefined();
  }, 150_000);

  it('ends the wait for health of an in-flight deploy on stop, records the release cancelled with the reason, and scales to zero', async () => {
    const h = await start({ policy: fast });
    await healthy(h, 'prod', 'web:1');
    h.recorder.holdRollouts = true;
    const deploy = await h.deploy('prod', 'web:2');
    await waitFor('the rollout of web:2 to be held', () => h.recorder.rolloutsWaiting === 1);

    const stop = await h.stop('prod', { reason: 'maintenance window' });
    const stopped = await h.waitForState('prod', 'stopped', (s) => s.status === 'stopped' && !s.inFlight);
    expect(h.recorder.cancelledRollouts).toEqual([h.workflowId('prod')]);
    expect(stopped.releases.map((r) => [r.imageRef, r.status])).toEqual([['web:2', 'cancelled'], ['web:1', 'healthy']]);
    expect(stopped.desired).toMatchObject({ imageRef: 'web:2', status: 'cancelled', error: 'stop requested by workflow-test: maintenance window' });
    expect(stopped.current).toMatchObject({ imageRef: 'web:1' });
    expect(stopped.requests.find((r) => r.requestId === deploy)?.outcome).toBe('cancelled');
    expect(stopped.requests.find((r) => r.requestId === stop)?.outcome).toBe('stopped');
    expect(h.recorder.callsOf('scaleWorkloads').map((c) => c.input.action)).toEqual(['stop']);
    await waitFor('both rows', () => rows(h, { requestId: stop, status: 'stopped' }).length === 1);
    expect(rows(h, { requestId: deploy })).toMatchObject([{ action: 'deploy', status: 'cancelled', imageRef: 'web:2' }]);
  });

  it('logs a cancel with nothing in flight as ignored, cancels a deploy still rendering before any wait for health, and ignores a resent cancel', async () => {
    const h = await start({ policy: fast });
    await healthy(h, 'prod', 'web:1');
    const idle = await h.cancel('prod');
    const ignored = await h.waitForState('prod', 'the idle cancel', (s) => s.requests.some((r) => r.requestId === idle));
    expect(ignored.requests.find((r) => r.requestId === idle)).toMatchObject({ kind: 'cancel', outcome: 'ignored', detail: 'nothing in flight to cancel' });
    expect(ignored.status).toBe('healthy');

    h.recorder.hold('renderManifests');
    const deploy = await h.deploy('prod', 'web:2');
    await waitFor('the render of web:2 to be held', () => h.recorder.waiting('renderManifests') === 1);
    const cancel = await h.cancel('prod', { reason: 'wrong image' });
    await h.waitForState('prod', 'the cancel to be taken', (s) => s.requests.some((r) => r.requestId === cancel));
    h.recorder.release('renderManifests');
    const cancelled = await h.waitForState('prod', 'web:2 cancelled', (s) => s.desired?.imageRef === 'web:2' && s.desired.status === 'cancelled' && !s.inFlight);
    expect(cancelled.desired?.error).toBe('cancel requested by workflow-test: wrong image');
    expect(cancelled.requests.find((r) => r.requestId === cancel)).toMatchObject({ outcome: 'cancelled', detail: `cancelled ${deploy}` });
    // The cancel arrived before the wait for health: there was none to end.
    expect(h.recorder.callsOf('waitForRollout')).toHaveLength(1);
    expect(h.recorder.cancelledRollouts).toEqual([]);

    // A pipeline resending the same cancel does not cancel what runs now.
    h.recorder.holdRollouts = true;
    await h.deploy('prod', 'web:3');
    await waitFor('the rollout of web:3 to be held', () => h.recorder.rolloutsWaiting === 1);
    await h.cancel('prod', { requestId: cancel });
    const resent = await h.state('prod');
    expect(resent.inFlight).toMatchObject({ kind: 'deploy', step: 'health' });
    // One entry, still fourth of the requests taken: web:1, the idle cancel, web:2, this cancel.
    expect(resent.requests.filter((r) => r.requestId === cancel)).toEqual([{ requestId: cancel, kind: 'cancel', outcome: 'cancelled', position: 4, detail: `cancelled ${deploy}` }]);
    h.recorder.releaseRollouts();
    await h.waitForState('prod', 'web:3 healthy', (s) => s.current?.imageRef === 'web:3' && !s.inFlight);
    expect(h.recorder.cancelledRollouts).toEqual([]);
  });

  it('corrects drift after a cancelled deploy: the cancel ended that release, not the passes after it', async () => {
    const h = await start({ policy: drifting });
    await healthy(h, 'prod', 'web:1');
    h.recorder.holdRollouts = true;
    const deploy = await h.deploy('prod', 'web:2');
    await waitFor('the rollout of web:2 to be held', () => h.recorder.rolloutsWaiting === 1);
    await h.cancel('prod', { reason: 'wrong image' });
    await h.waitForState('prod', 'web:2 cancelled', (s) => s.desired?.imageRef === 'web:2' && s.desired.status === 'cancelled' && !s.inFlight);
    h.recorder.releaseRollouts();
    expect(h.recorder.cancelledRollouts).toEqual([h.workflowId('prod')]);

    // Someone edits what web:1 applied: the next pass re-applies it, waits for it, records it.
    h.recorder.applyChanges = true;
    const row = await waitFor('a recorded drift correction', () => rows(h, { action: 'drift', status: 'corrected' })[0], { timeoutMs: 10_000 });
    expect(row).toMatchObject({ imageRef: 'web:1' });
    expect(rows(h, { action: 'drift', status: 'failed' })).toEqual([]);
    const after = await h.waitForState('prod', 'idle again', (s) => !s.inFlight);
    expect(after.lastDriftError).toBeUndefined();
    expect(after.current?.imageRef).toBe('web:1');
    expect(after.requests.find((r) => r.requestId === deploy)?.outcome).toBe('cancelled');
  });

  it('rolls back to a named release, refuses unknown and never-healthy targets and a rollback with nothing different before, and ignores a resent deploy', async () => {
    const h = await start({ policy: fast, failingImages: ['web:bad'] });
    const first = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1' && !s.inFlight);
    await h.deploy('prod', 'web:1', { requestId: first }); // a pipeline retrying the same request
    await h.deploy('prod', 'web:bad');
    await h.waitForState('prod', 'the auto-rollback', (s) => s.current?.action === 'auto-rollback' && !s.inFlight);

    const refused = async (toRelease: number | undefined) => {
      const id = await h.rollback('prod', toRelease);
      const state = await h.waitForState('prod', `rollback to ${toRelease ?? 'the previous release'} refused`, (s) => s.requests.some((r) => r.requestId === id && r.outcome === 'failed'));
      expect(await waitFor('the refusal row', () => rows(h, { requestId: id })[0])).toMatchObject({ action: 'rollback', status: 'failed', errorType: 'RequestRefused' });
      return state.requests.find((r) => r.requestId === id)?.detail;
    };
    expect(await refused(99)).toBe('release 99 is not among the 3 recent releases');
    expect(await refused(2)).toBe('release 2 (web:bad) was never healthy (failed)');

    await h.rollback('prod', 1);
    const named = await h.waitForState('prod', 'the rollback to #1', (s) => s.current?.seq === 4 && !s.inFlight);
    expect(named.current).toMatchObject({ action: 'rollback', imageRef: 'web:1', opsSha: 'sha-1', pinned: true, status: 'healthy' });
    // Every healthy release before #4 is web:1 at sha-1 too: nothing different to return to.
    expect(await refused(undefined)).toBe('no healthy release before the current one (web:1) to roll back to');

    // The resent deploy was dropped: web:1 ran once as a deploy.
    expect(named.requests.filter((r) => r.requestId === first)).toMatchObject([{ outcome: 'healthy', releaseSeq: 1 }]);
    expect(named.releases.map((r) => [r.seq, r.action, r.imageRef, r.status])).toEqual([
      [4, 'rollback', 'web:1', 'healthy'],
      [3, 'auto-rollback', 'web:1', 'healthy'],
      [2, 'deploy', 'web:bad', 'failed'],
      [1, 'deploy', 'web:1', 'healthy'],
    ]);

    // A failed redeploy of exactly what runs has nothing else to roll back to.
    h.recorder.failingImages.add('web:1');
    await h.deploy('prod', 'web:1');
    const failed = await h.waitForState('prod', 'the failed redeploy', (s) => s.desired?.seq === 5 && s.desired.status === 'failed' && !s.inFlight);
    expect(failed.releases).toHaveLength(5);
    expect(failed.current).toMatchObject({ seq: 4 });
    expect(rows(h, { action: 'auto-rollback' })).toHaveLength(1);
  });

  it('does nothing on drift before the first release, and neither rolls back nor re-applies a first release that failed', async () => {
    const h = await start({ policy: drifting, failingImages: ['web:bad'] });
    // A cancel starts the workflow without giving it anything to run.
    await h.cancel('empty');
    const empty = await h.waitForState('empty', 'a drift pass', (s) => s.lastDriftAt !== undefined && !s.inFlight, 10_000);
    expect(empty.waitingFor).toBe('no release yet: waiting for a deploy');
    const steps = ['loadEnvironment', 'syncOpsRepo', 'renderManifests', 'applyManifests', 'waitForRollout', 'scaleWorkloads'];
    expect(h.recorder.calls.filter((c) => c.workflowId === h.workflowId('empty') && steps.includes(c.name))).toEqual([]);

    await h.deploy('fresh', 'web:bad');
    const failed = await h.waitForState('fresh', 'the failed release', (s) => s.desired?.status === 'failed' && !s.inFlight);
    expect(failed.releases).toHaveLength(1);
    expect(failed.current).toBeUndefined();
    expect(failed.waitingFor).toMatch(/^desired release #1 \(web:bad\) failed \(.*\): deploy a fixed release or roll back; nothing healthy is applied until then$/);
    const started = failed.lastStartedAt!;
    await h.waitForState('fresh', 'a drift pass after the failure', (s) => (s.lastDriftAt ?? 0) > started && !s.inFlight, 10_000);
    expect(h.recorder.callsOf('applyManifests', h.workflowId('fresh'))).toHaveLength(1);
    expect(rows(h, { action: 'drift' })).toEqual([]);
  });

  it('ends a run whose environment is not registered, leaving nothing running, and starts a new one on the next request', async () => {
    const h = await start({ policy: drifting });
    const notRegistered = { message: `environment ${h.project}/gone is not registered: register it (ops repo, manifest path, namespace) before deploying`, type: 'EnvironmentNotFound' };
    h.recorder.failNext('loadEnvironment', notRegistered);
    const first = await h.deploy('gone', 'web:1');
    const { runId } = await h.handle('gone').describe();
    await waitFor('the run to end', async () => (await h.handle('gone').describe()).status.name === 'COMPLETED', { timeoutMs: 10_000 });
    const ended = await h.handle('gone').query(stateQuery);
    expect(ended.requests.find((r) => r.requestId === first)).toMatchObject({ outcome: 'failed', detail: notRegistered.message });
    expect(rows(h, { requestId: first }).map((r) => r.status)).toEqual(['failed']);
    // No state row is written for an environment that has none (the real write would fail the run).
    expect(h.recorder.callsOf('recordCurrentState', h.workflowId('gone'))).toEqual([]);
    // Registered meanwhile: the next request starts a new run, which deploys.
    await h.deploy('gone', 'web:2');
    const healthy = await h.waitForState('gone', 'web:2 healthy in a new run', (s) => s.current?.imageRef === 'web:2' && !s.inFlight);
    expect(healthy.current?.seq).toBe(1);
    expect((await h.handle('gone').describe()).runId).not.toBe(runId);
  });

  it('rebuilds a run that starts blank from the record: the releases to roll back to, what runs, whether stopped', async () => {
    const h = await start({ policy: fast });
    const at = Date.now() - 60_000;
    h.recorder.recordedState = {
      releases: [
        { seq: 2, action: 'deploy', imageRef: 'web:2', opsSha: 'sha-0', status: 'failed', requestId: 'ended-2', startedAt: at + 1_000, finishedAt: at + 2_000, error: 'ProgressDeadlineExceeded' },
        { seq: 1, action: 'deploy', imageRef: 'web:1', opsSha: 'sha-0', status: 'healthy', requestId: 'ended-1', startedAt: at, finishedAt: at + 500 },
      ],
      releaseCount: 2,
      stopped: false,
      closedInProgress: 1,
    };
    await h.rollback('prod', 1);
    const back = await h.waitForState('prod', 'the rollback to the recorded #1', (s) => s.current?.seq === 3 && !s.inFlight);
    expect(back.current).toMatchObject({ action: 'rollback', imageRef: 'web:1', opsSha: 'sha-0', pinned: true, status: 'healthy' });
    expect(back.releases.map((r) => [r.seq, r.imageRef, r.status])).toEqual([[3, 'web:1', 'healthy'], [2, 'web:2', 'failed'], [1, 'web:1', 'healthy']]);
    expect(h.recorder.callsOf('syncOpsRepo').at(-1)!.input.pinSha).toBe('sha-0');

    // Stopped before it ever had a release: the record says stopped, so a stop is nothing to do.
    h.recorder.recordedState = { releases: [], releaseCount: 0, stopped: true, closedInProgress: 0 };
    const stop = await h.stop('paused');
    const paused = await h.waitForState('paused', 'the stop to be taken', (s) => s.requests.some((r) => r.requestId === stop && r.outcome === 'ignored'));
    expect(paused).toMatchObject({ status: 'stopped', stopped: true, releases: [] });
    expect(h.recorder.callsOf('scaleWorkloads')).toEqual([]);
  });

  it('continues as new once its history passes 2,000 events, long before 200 turns, losing no request', async () => {
    const h = await start({ policy: fast });
    const sent: string[] = [];
    let state = await healthy(h, 'busy', 'web:0');
    // One deploy after another (each ~25 events) until the run hands over.
    for (let i = 1; state.run === 1 && i <= 160; i++) {
      sent.push(await h.deploy('busy', `web:${i}`));
      state = await h.waitForState('busy', `web:${i} healthy`, (s) => (s.current?.imageRef === `web:${i}` && !s.inFlight) || s.run > 1);
    }
    expect(state.run).toBe(2);
    // The last request may have been pending at the hand-over: the new run takes it.
    const last = `web:${sent.length}`;
    await h.waitForState('busy', `${last} healthy`, (s) => s.current?.imageRef === last && !s.inFlight);
    const handedOver = await waitFor('the first run to be listed as continued-as-new', async () => {
      for await (const execution of h.client.workflow.list({ query: `WorkflowId = "${h.workflowId('busy')}" AND ExecutionStatus = "ContinuedAsNew"` })) return execution.runId;
      return undefined;
    }, { timeoutMs: 15_000 });
    const { events } = await h.client.workflow.getHandle(h.workflowId('busy'), handedOver).fetchHistory();
    // Handed over at the first turn's end past the bound: one deploy's events beyond it at most.
    expect(events!.length).toBeGreaterThanOrEqual(2_000);
    expect(events!.length).toBeLessThan(2_100);
    const images = h.recorder.callsOf('renderManifests', h.workflowId('busy')).map((c) => c.input.imageRef);
    expect(new Set(images)).toEqual(new Set(['web:0', ...sent.map((_, i) => `web:${i + 1}`)]));
  });

  it('runs each drift pass as one activity: an unchanged pass adds a dozen events, a correction waits for its rollout, a stopped environment is kept at zero', async () => {
    const h = await start({ policy: drifting });
    await healthy(h, 'lean', 'web:1');
    const { events: before } = await h.handle('lean').fetchHistory();
    await waitFor('two unchanged drift passes', () => h.recorder.callsOf('checkDrift').length >= 2, { timeoutMs: 10_000 });
    await h.waitForState('lean', 'the second pass done', (s) => !s.inFlight);
    const { events: idle } = await h.handle('lean').fetchHistory();
    const scheduledSince = (events: typeof idle, from: number) =>
      events!.slice(from).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    // The pass's load, sync, render and apply ran inside that one activity, on the background queue.
    expect(new Set(scheduledSince(idle, before!.length))).toEqual(new Set(['checkDrift']));
    expect(h.recorder.callsOf('applyManifests').at(-1)!.input).toMatchObject({ onlyDrifted: true, forceConflicts: true });
    const passes = h.recorder.callsOf('checkDrift').length;
    expect((idle!.length - before!.length) / passes).toBeLessThanOrEqual(12);
    expect(rows(h, { action: 'drift' })).toEqual([]);
    expect(h.recorder.callsOf('waitForRollout')).toHaveLength(1);

    h.recorder.applyChanges = true;
    const row = await waitFor('a recorded correction', () => rows(h, { action: 'drift', status: 'corrected' })[0], { timeoutMs: 10_000 });
    h.recorder.applyChanges = false;
    expect(row).toMatchObject({ imageRef: 'web:1', reason: 'configured Deployment/web' });
    expect(h.recorder.callsOf('waitForRollout').length).toBeGreaterThanOrEqual(2);

    await h.stop('lean');
    await h.waitForState('lean', 'stopped', (s) => s.status === 'stopped' && !s.inFlight);
    const kept = await waitFor('a stopped pass that scaled back', () => rows(h, { action: 'drift', status: 'corrected' }).find((r) => r.reason?.startsWith('scaled')), { timeoutMs: 10_000 });
    expect(kept.reason).toBe('scaled 1 workload(s) back to 0');
    expect(h.recorder.callsOf('checkDrift').at(-1)!.input).toMatchObject({ plan: { type: 'keep-stopped' } });
  });

  it('runs a release as two activities that write its history rows and state themselves, no other trip through the task queue', async () => {
    const h = await start({ policy: fast });
    await healthy(h, 'local', 'web:1');
    await waitFor('the release rows', () => rows(h, { imageRef: 'web:1', status: 'healthy' })[0]);
    const { events } = await h.handle('local').fetchHistory();
    const scheduled = events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    const markers = events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    // Reading the record (once per run), the release up to its apply (load, its in-progress row,
    // sync, render, apply) and the wait for its rollout (its healthy row and the state once done).
    expect(scheduled).toEqual(['loadRecordedState', 'applyRelease', 'rollOutRelease']);
    expect(markers).toHaveLength(0);
    expect(h.recorder.callsOf('recordHistory').map((c) => c.input.status)).toEqual(['in-progress', 'healthy']);
    expect(h.recorder.calls.filter((c) => c.workflowId === h.workflowId('local')).map((c) => c.name)).toEqual([
      'loadRecordedState',
      'applyRelease',
      'loadEnvironment',
      'recordHistory',
      'syncOpsRepo',
      'renderManifests',
      'applyManifests',
      'rollOutRelease',
      'waitForRollout',
      'recordHistory',
      'recordCurrentState',
    ]);
    const state = h.recorder.callsOf('recordCurrentState').at(-1)!.input;
    expect(state).toMatchObject({ currentStatus: 'healthy', currentImage: 'web:1', desiredImage: 'web:1', desiredStatus: 'running' });
    // The workflow's release ends when the record says it did.
    const done = await h.waitForState('local', 'the release', (s) => s.current?.imageRef === 'web:1');
    expect(new Date(done.current!.finishedAt!).toISOString()).toBe(state.deployedAt);
    expect(rows(h, { imageRef: 'web:1', status: 'healthy' })[0]!.finishedAt).toBe(state.deployedAt);
  });

  it('writes a healthy release\'s record itself when Postgres refused it to the rollout\'s activity, as local activities that wait out an outage', async () => {
    const h = await start({ policy: fast });
    h.recorder.refuseRolloutRecords = 1;
    await healthy(h, 'refused', 'web:1');
    const row = await waitFor('the healthy row', () => rows(h, { imageRef: 'web:1', status: 'healthy' })[0]);
    const { events } = await h.handle('refused').fetchHistory();
    expect(events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(2);
    expect(h.recorder.callsOf('recordCurrentState', h.workflowId('refused')).at(-1)!.input).toMatchObject({ currentStatus: 'healthy', currentImage: 'web:1', deployedAt: row.finishedAt });
  });

  it('records the ops commit and manifest a release reached when its render or apply fails, and keeps the release failed, not retried', async () => {
    const h = await start({ policy: fast });
    h.recorder.branchHead = 'sha-7';
    // A sync that fails reaches no commit: nothing to record of one.
    h.recorder.failNext('syncOpsRepo', { message: 'git: the remote hung up', type: 'GitUnavailable' });
    await h.deploy('broken', 'web:0');
    const unsynced = await h.waitForState('broken', 'the unsynced release failed', (s) => s.desired?.status === 'failed' && !s.inFlight);
    expect(unsynced.desired).toMatchObject({ imageRef: 'web:0', error: 'git: the remote hung up' });
    expect(unsynced.desired?.opsSha).toBeUndefined();
    const templateError = { message: 'app.yaml.njk:3: unexpected end of template', type: 'TemplateError' };
    h.recorder.failNext('renderManifests', templateError);
    const requestId = await h.deploy('broken', 'web:1');
    const failed = await h.waitForState('broken', 'the failed release', (s) => s.desired?.imageRef === 'web:1' && s.desired.status === 'failed' && !s.inFlight);
    expect(failed.desired).toMatchObject({ imageRef: 'web:1', opsSha: 'sha-7', error: templateError.message });
    expect(failed.desired?.manifestHash).toBeUndefined();
    expect(h.recorder.callsOf('applyRelease', h.workflowId('broken'))).toHaveLength(2); // not retried
    const row = await waitFor('the failed row', () => rows(h, { requestId, status: 'failed' })[0]);
    expect(row).toMatchObject({ sha: 'sha-7', error: templateError.message, imageRef: 'web:1' });
    // An apply that fails has a manifest too: both are recorded.
    const conflict = { message: 'Deployment web: field .spec.replicas is managed by hpa-controller', type: 'FieldConflict' };
    h.recorder.failNext('applyManifests', conflict);
    await h.deploy('broken', 'web:1b');
    const refused = await h.waitForState('broken', 'the refused apply', (s) => s.desired?.imageRef === 'web:1b' && s.desired.status === 'failed' && !s.inFlight);
    expect(refused.desired).toMatchObject({ opsSha: 'sha-7', manifestHash: 'sha-7:web:1b:[{},{}]', error: conflict.message });
    // The next release applies and rolls out as usual.
    const fixed = await healthy(h, 'broken', 'web:2');
    expect(fixed.current).toMatchObject({ imageRef: 'web:2', opsSha: 'sha-7', manifestHash: 'sha-7:web:2:[{},{}]' });
    expect(rows(h, { imageRef: 'web:2' }).map((r) => r.status)).toEqual(['healthy']);
  });
});
