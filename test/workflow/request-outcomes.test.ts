// Every request has an outcome a waiter can learn at once: a deploy sent as an update-with-start
// is answered when the workflow takes it (or refused, and then nothing of it is left), and a
// request the bounded log no longer lists is known superseded by its position alone, however many
// requests came after it.
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { requestWithStart } from '../../src/client/request-with-start.js';
import { DeployerClient, ReleaseFailedError, type Accepted } from '../../src/client/deployer-client.js';
import { InvalidRequestError } from '../../src/domain/request-rules.js';
import { MAX_REQUEST_LOG } from '../../workflows/decide.js';
import { deploySignal, deployUpdate, stopSignal, stopUpdate } from '../../workflows/messages.js';
import { harnessPerTest } from './harness.js';

const fast = { minIntervalMs: 50, driftIntervalMs: 60_000 };
const start = harnessPerTest();

describe('the outcome of every request', () => {
  it('answers each deploy of a burst of 120 when taken, and a waiter on an early one that the log no longer lists learns at once it was superseded', async () => {
    const h = await start({ policy: fast });
    const deployer = new DeployerClient({ client: h.client, taskQueue: h.taskQueue });
    const key = { project: h.project, environment: 'prod' };
    h.recorder.holdRollouts = true;
    const first = await deployer.deploy({ ...key, imageRef: 'web:0', requestedBy: 'pipeline' });
    expect(first).toMatchObject({ outcome: 'pending', receipt: { position: 1 } });
    await waitFor('the first rollout to be held', () => h.recorder.rolloutsWaiting === 1);

    const burst: Accepted[] = [];
    for (let i = 1; i <= 120; i++) burst.push(await deployer.deploy({ ...key, imageRef: `web:${i}`, requestedBy: 'pipeline', reason: `build ${i}` }));
    expect(burst.map((a) => a.outcome)).toEqual(burst.map(() => 'pending'));
    expect(burst.map((a) => a.receipt?.position)).toEqual(burst.map((_, i) => i + 2));
    // A deploy resent long after (its id gone from the log) is answered as it was first, and taken only once.
    expect(await deployer.deploy({ ...key, imageRef: 'web:10', requestedBy: 'pipeline', requestId: burst[9]!.requestId })).toEqual(burst[9]);
    expect((await deployer.state(key))?.pending).toMatchObject({ imageRef: 'web:120' });

    const early = burst[9]!;
    const held = await deployer.state(key);
    expect(held?.requests).toHaveLength(MAX_REQUEST_LOG);
    expect(held?.requests.some((r) => r.requestId === early.requestId)).toBe(false);
    expect(held?.forgottenThrough).toBe(0);
    // The first release is still held: the answer comes from the position, not from the environment moving on.
    const superseded = await deployer.waitForRelease(key, early.requestId, { timeoutMs: 60_000 }).catch((error: unknown) => error);
    expect(superseded).toBeInstanceOf(ReleaseFailedError);
    expect(superseded).toMatchObject({ outcome: 'superseded' });
    // Another process that kept the receipt learns the same; without one the log has no word of it.
    const elsewhere = new DeployerClient({ client: h.client, taskQueue: h.taskQueue });
    expect(await elsewhere.waitForOutcome(key, early.requestId, { timeoutMs: 60_000, receipt: early.receipt })).toMatchObject({ outcome: 'superseded' });
    expect(h.recorder.rolloutsWaiting).toBe(1);

    h.recorder.releaseRollouts();
    const last = burst.at(-1)!;
    expect(await deployer.waitForRelease(key, last.requestId, { timeoutMs: 60_000 })).toMatchObject({ imageRef: 'web:120', status: 'healthy' });
    expect(await deployer.waitForRelease(key, first.requestId, { timeoutMs: 60_000 })).toMatchObject({ imageRef: 'web:0', status: 'healthy' });
    expect(h.recorder.callsOf('renderManifests').map((c) => c.input.imageRef)).toEqual(['web:0', 'web:120']);
  });

  it('refuses a deploy that breaks the request rules: before sending, leaving no workflow, or by its validator, leaving no trace in the workflow', async () => {
    const h = await start({ policy: fast });
    const deployer = new DeployerClient({ client: h.client, taskQueue: h.taskQueue });
    const refused = await deployer.deploy({ project: h.project, environment: 'fresh', imageRef: 'NGINX:1', requestedBy: 'pipeline' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect((refused as InvalidRequestError).problems.map((p) => p.field)).toEqual(['imageRef']);
    await expect(h.handle('fresh').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Sent past the SDK's own check, the workflow's validator refuses it the same way.
    await deployer.deploy({ project: h.project, environment: 'prod', imageRef: 'web:1', requestedBy: 'pipeline' });
    const target = { project: h.project, environment: 'prod', taskQueue: h.taskQueue };
    const bad = { requestId: `bad-${h.project}`, requestedBy: 'pipeline', imageRef: '$(id)' };
    const byValidator = await requestWithStart(h.client, target, { update: deployUpdate, signal: deploySignal }, bad, { acceptTimeoutMs: 10_000 }).catch((error: unknown) => error);
    expect(byValidator).toBeInstanceOf(InvalidRequestError);
    expect((byValidator as InvalidRequestError).problems).toEqual([{ field: 'imageRef', message: expect.stringContaining('"$(id)"') }]);
    const state = await h.state('prod');
    expect(state.requests.map((r) => r.requestId)).not.toContain(bad.requestId);
    const { events } = await h.handle('prod').fetchHistory();
    expect(JSON.stringify(events)).not.toContain(bad.requestId);
  });

  it('answers a rollback and a stop sent as updates: a rollback superseded in a burst is known at once, a stop interrupts what runs', async () => {
    const h = await start({ policy: fast });
    const deployer = new DeployerClient({ client: h.client, taskQueue: h.taskQueue });
    const key = { project: h.project, environment: 'prod' };
    for (const image of ['web:1', 'web:2']) {
      const { requestId } = await deployer.deploy({ ...key, imageRef: image, requestedBy: 'pipeline' });
      await deployer.waitForRelease(key, requestId, { timeoutMs: 60_000 });
    }
    h.recorder.holdRollouts = true;
    await deployer.deploy({ ...key, imageRef: 'web:3', requestedBy: 'pipeline' });
    await waitFor('the rollout of web:3 to be held', () => h.recorder.rolloutsWaiting === 1);

    const rollback = await deployer.rollback({ ...key, requestedBy: 'oncall', reason: 'web:3 is bad' });
    expect(rollback).toMatchObject({ outcome: 'pending', receipt: { position: 4 } });
    for (let i = 4; i < 4 + MAX_REQUEST_LOG + 5; i++) await deployer.deploy({ ...key, imageRef: `web:${i}`, requestedBy: 'pipeline' });
    expect((await deployer.state(key))?.requests.map((r) => r.requestId)).not.toContain(rollback.requestId);
    expect(await deployer.waitForOutcome(key, rollback.requestId, { timeoutMs: 60_000 })).toMatchObject({ outcome: 'superseded' });

    // A stop the workflow's validator refuses leaves nothing; one it takes ends the rollout in flight.
    const target = { project: h.project, environment: 'prod', taskQueue: h.taskQueue };
    const refused = await requestWithStart(h.client, target, { update: stopUpdate, signal: stopSignal }, { requestId: `stop-${h.project}`, requestedBy: '' }, { acceptTimeoutMs: 10_000 }).catch((error: unknown) => error);
    expect((refused as InvalidRequestError).problems?.map((p) => p.field)).toEqual(['requestedBy']);
    const stop = await deployer.stop({ ...key, requestedBy: 'oncall' });
    expect(stop.outcome).toBe('pending');
    expect(await deployer.waitForOutcome(key, stop.requestId, { timeoutMs: 60_000 })).toMatchObject({ outcome: 'stopped' });
    const stopped = await deployer.state(key);
    expect(stopped).toMatchObject({ status: 'stopped', desired: { imageRef: 'web:3', status: 'cancelled' } });
    expect(stopped?.requests.map((r) => r.requestId)).not.toContain(`stop-${h.project}`);
  });

  it('forgets the oldest request that ended only once the log holds nothing superseded, and still answers it from the release it made', async () => {
    const h = await start({ policy: fast });
    const deployer = new DeployerClient({ client: h.client, taskQueue: h.taskQueue });
    const key = { project: h.project, environment: 'prod' };
    const first = await deployer.deploy({ ...key, imageRef: 'web:1', requestedBy: 'pipeline' });
    await deployer.waitForRelease(key, first.requestId, { timeoutMs: 60_000 });

    // Cancels with nothing in flight end at once (ignored): enough of them push the deploy out.
    const cancels: string[] = [];
    for (let i = 0; i < MAX_REQUEST_LOG; i++) cancels.push(await h.cancel('prod'));
    const full = await h.waitForState('prod', 'every cancel logged', (s) => s.requests[0]?.requestId === cancels.at(-1));
    expect(full.requests.map((r) => r.requestId)).not.toContain(first.requestId);
    expect(full.forgottenThrough).toBe(first.receipt!.position);
    expect(await deployer.waitForOutcome(key, first.requestId, { timeoutMs: 60_000 })).toMatchObject({ outcome: 'healthy', release: { imageRef: 'web:1' } });
  });
});
