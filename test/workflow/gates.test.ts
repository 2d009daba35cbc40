// The release gates in the environment workflow: a deploy to an environment that needs approval
// waits (durably: a worker restart changes nothing) until approved, rejected or expired; a newer
// request supersedes a waiting one and needs its own approval; a freeze window holds deploys until
// it ends while rollbacks and overrides pass; and each event starts a notification workflow.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import type { FreezeWindow } from '../../src/domain/freeze-windows.js';
import type { EnvironmentPolicy } from '../../src/domain/vocabulary.js';
import { approveUpdate, policySignal, rejectUpdate, type ApprovalDecision } from '../../workflows/messages.js';
import { harnessPerTest, type WorkflowHarness } from './harness.js';

const fast = { minIntervalMs: 50, driftIntervalMs: 10 * 60_000 };
const approval = { required: true, expiresAfterMs: 10 * 60_000, allowSelfApproval: false };
const start = harnessPerTest();

function decide(h: WorkflowHarness, environment: string, approve: boolean, decision: ApprovalDecision) {
  return h.handle(environment).executeUpdate(approve ? approveUpdate : rejectUpdate, { args: [decision] });
}

/** The workflow's refusal of an approve or reject: its failure type and message. */
async function refusal(answer: Promise<unknown>): Promise<{ type?: string; message?: string }> {
  const error = await answer.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause as { type?: string; message?: string };
  return { type: cause.type, message: cause.message };
}

const rowOf = (h: WorkflowHarness, requestId: string, status: string) => [...h.recorder.history.values()].find((row) => row.requestId === requestId && row.status === status);
/** A request's history row once written (a step may log the outcome a moment before its row lands). */
const rowWritten = (h: WorkflowHarness, requestId: string, status: string) => waitFor(`the ${status} row of ${requestId}`, () => rowOf(h, requestId, status), { timeoutMs: 10_000 });

function oneOff(name: string, fromMs: number, untilMs: number, extra: Partial<FreezeWindow> = {}): FreezeWindow {
  return { kind: 'one-off', name, from: new Date(fromMs).toISOString(), until: new Date(untilMs).toISOString(), ...extra } as FreezeWindow;
}

describe('approval', () => {
  it('holds a deploy with its preview until approved, through a worker restart; refuses self-approval; then deploys at once', async () => {
    const h = await start({ policy: { ...fast, approval } });
    const requestId = await h.deploy('prod', 'web:1');
    const waiting = await h.waitForState('prod', 'the deploy to wait for approval', (s) => s.approval?.requestId === requestId);
    expect(waiting.waitingFor).toMatch(new RegExp(`^approval of request ${requestId} by deploy:approve since \\d{4}-`));
    expect(waiting.approval).toMatchObject({ kind: 'deploy', requestedBy: 'workflow-test', summary: { configured: 0, unchanged: 1 } });
    expect(h.recorder.callsOf('requestApproval')).toHaveLength(1);
    expect(rowOf(h, requestId, 'awaiting-approval')).toMatchObject({ action: 'deploy', imageRef: 'web:1', sha: 'sha-1' });
    expect(h.recorder.callsOf('applyRelease')).toHaveLength(0);

    await h.stopWorker();
    await h.startWorker();
    expect(await refusal(decide(h, 'prod', true, { requestId, decidedBy: 'workflow-test' }))).toMatchObject({
      type: 'ApprovalRefused',
      message: expect.stringContaining('may not approve it: the environment\'s policy does not allow self-approval'),
    });
    expect(await refusal(decide(h, 'prod', true, { requestId: 'no-such-request', decidedBy: 'alice' }))).toMatchObject({
      message: expect.stringContaining(`request no-such-request is not waiting for approval; request ${requestId} is`),
    });

    const answer = await decide(h, 'prod', true, { requestId, decidedBy: 'alice', reason: 'looks right' });
    expect(answer).toMatchObject({ requestId, decision: 'approved' });
    const done = await h.waitForState('prod', 'the approved deploy to be healthy', (s) => s.current?.imageRef === 'web:1');
    expect(done.approval).toBeUndefined();
    const applied = h.recorder.callsOf('applyRelease')[0]!;
    expect(applied.scheduledAt - Date.parse(answer.decidedAt)).toBeLessThan(1_000);
    expect(await rowWritten(h, requestId, 'approved')).toMatchObject({ approval: { decision: 'approved', by: 'alice', reason: 'looks right' } });
    expect(await rowWritten(h, requestId, 'healthy')).toMatchObject({ action: 'deploy', imageRef: 'web:1', approval: { decision: 'approved', by: 'alice' } });
    expect(done.requests.find((r) => r.requestId === requestId)).toMatchObject({ outcome: 'healthy' });
    // Decided once: a second approval is refused.
    expect((await refusal(decide(h, 'prod', true, { requestId, decidedBy: 'bob' }))).message).toContain('is not waiting for approval (it is healthy)');
  });

  it('records why a request was rejected, and deploys nothing', async () => {
    const h = await start({ policy: { ...fast, approval } });
    const requestId = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the deploy to wait for approval', (s) => s.approval?.requestId === requestId);
    // The requester may withdraw their own request by rejecting it.
    await decide(h, 'prod', false, { requestId, decidedBy: 'workflow-test', reason: 'wrong build' });
    const state = await h.waitForState('prod', 'the rejection to close the request', (s) => s.pending === undefined && s.approval === undefined);
    expect(state.requests.find((r) => r.requestId === requestId)).toMatchObject({ outcome: 'cancelled', detail: 'rejected by workflow-test: wrong build' });
    expect(await rowWritten(h, requestId, 'cancelled')).toMatchObject({
      errorType: 'ApprovalRejected',
      error: 'rejected by workflow-test: wrong build',
      approval: { decision: 'rejected', by: 'workflow-test', reason: 'wrong build' },
    });
    expect(h.recorder.callsOf('applyRelease')).toHaveLength(0);
    expect(state.waitingFor).toBe('no release yet: waiting for a deploy');
  });

  it('expires a request nobody decided on, on a durable timer, and refuses a late approval', async () => {
    const h = await start({ policy: { ...fast, approval: { ...approval, expiresAfterMs: 1_500 } } });
    const requestId = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the deploy to wait for approval', (s) => s.approval?.requestId === requestId);
    const state = await h.waitForState('prod', 'the approval to expire', (s) => s.pending === undefined, 15_000);
    expect(state.requests.find((r) => r.requestId === requestId)).toMatchObject({ outcome: 'cancelled', detail: expect.stringMatching(/^its approval expired at .*: nobody with deploy:approve decided in time$/) });
    expect(await rowWritten(h, requestId, 'cancelled')).toMatchObject({ errorType: 'ApprovalExpired', approval: { decision: 'expired' } });
    expect((await refusal(decide(h, 'prod', true, { requestId, decidedBy: 'alice' }))).message).toContain('is not waiting for approval (it is cancelled)');
    expect(h.recorder.callsOf('applyRelease')).toHaveLength(0);
  });

  it('lets a newer request supersede a waiting one; the newer one needs its own approval', async () => {
    const h = await start({ policy: { ...fast, approval } });
    const first = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the first deploy to wait', (s) => s.approval?.requestId === first);
    const second = await h.deploy('prod', 'web:2');
    await h.waitForState('prod', 'the second deploy to wait', (s) => s.approval?.requestId === second);
    expect(await rowWritten(h, first, 'cancelled')).toMatchObject({ errorType: 'Superseded', error: `superseded by deploy ${second} before it was decided` });
    expect((await refusal(decide(h, 'prod', true, { requestId: first, decidedBy: 'alice' }))).message).toContain(`was superseded by deploy ${second}: the newer request needs its own approval`);
    await decide(h, 'prod', true, { requestId: second, decidedBy: 'alice' });
    await h.waitForState('prod', 'web:2 to be healthy', (s) => s.current?.imageRef === 'web:2');
    expect(h.recorder.callsOf('applyRelease').map((c) => c.input.release.imageRef)).toEqual(['web:2']);
    expect(h.recorder.callsOf('requestApproval').map((c) => c.input.release.imageRef)).toEqual(['web:1', 'web:2']);
  });

  it('stops asking once the policy no longer requires approval (the doors send the new policy)', async () => {
    const h = await start({ policy: { ...fast, approval } });
    const requestId = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the deploy to wait', (s) => s.approval?.requestId === requestId);
    const relaxed: EnvironmentPolicy = { ...h.recorder.policy, approval: undefined };
    h.recorder.policy = relaxed;
    await h.handle('prod').signal(policySignal, relaxed);
    await h.waitForState('prod', 'web:1 to be healthy', (s) => s.current?.imageRef === 'web:1');
  });
});

describe('approval, at its edges', () => {
  it('applies from the first request of a run started afresh: the record tells the gates', async () => {
    const h = await start({ policy: fast });
    h.recorder.recordedState = { releases: [], releaseCount: 0, stopped: false, closedInProgress: 0, policy: { ...h.recorder.policy, approval } };
    const requestId = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the deploy to wait for approval', (s) => s.approval?.requestId === requestId);
    expect(h.recorder.callsOf('applyRelease')).toHaveLength(0);
  });

  it('lets a stop through at once and closes the wait it superseded; refuses a rollback with nothing to return to without asking', async () => {
    const h = await start({ policy: { ...fast, approval } });
    const rollback = await h.rollback('prod');
    const refused = await h.waitForState('prod', 'the rollback refused', (s) => s.requests.some((r) => r.requestId === rollback && r.outcome === 'failed'));
    expect(refused.requests.find((r) => r.requestId === rollback)?.detail).toContain('nothing to roll back to');
    const deploy = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the deploy to wait', (s) => s.approval?.requestId === deploy);
    const stop = await h.stop('prod');
    await h.waitForState('prod', 'the stop to run', (s) => s.requests.some((r) => r.requestId === stop && r.outcome !== 'pending') && s.approval === undefined);
    expect(await rowWritten(h, deploy, 'cancelled')).toMatchObject({ errorType: 'Superseded', error: `superseded by stop ${stop} before it was decided` });
    expect(h.recorder.callsOf('requestApproval')).toHaveLength(1);
  });

  it('fails a request whose preview fails, as its release would, without asking anyone', async () => {
    const h = await start({ policy: { ...fast, approval } });
    h.recorder.failNext('requestApproval', { message: 'app.yaml.njk:3: unexpected end of template', type: 'TemplateError' });
    const requestId = await h.deploy('prod', 'web:1');
    const state = await h.waitForState('prod', 'the request failed', (s) => s.requests.some((r) => r.requestId === requestId && r.outcome === 'failed'));
    expect(state.requests.find((r) => r.requestId === requestId)?.detail).toBe('its preview for approval failed: app.yaml.njk:3: unexpected end of template');
    expect(state.pending).toBeUndefined();
    expect(await rowWritten(h, requestId, 'failed')).toMatchObject({ errorType: 'TemplateError' });
  });

  it('records a rejection without a reason', async () => {
    const h = await start({ policy: { ...fast, approval } });
    const requestId = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the deploy to wait', (s) => s.approval?.requestId === requestId);
    await decide(h, 'prod', false, { requestId, decidedBy: 'bob' });
    await h.waitForState('prod', 'the rejection', (s) => s.requests.some((r) => r.requestId === requestId && r.detail === 'rejected by bob'));
  });
});

describe('freeze windows', () => {
  it('hold a deploy until the window ends, then run it', async () => {
    const now = Date.now();
    const h = await start({ policy: { ...fast, freezeWindows: [oneOff('launch', now - 1_000, now + 3_000, { timeZone: 'Europe/Berlin' })] } });
    const requestId = await h.deploy('prod', 'web:1');
    const held = await h.waitForState('prod', 'the freeze to hold the deploy', (s) => s.requests.some((r) => r.requestId === requestId && r.detail?.startsWith('held by')));
    expect(held.waitingFor).toMatch(new RegExp(`^freeze 'launch' until \\w{3} \\d{2}:\\d{2}(:\\d{2})? Europe/Berlin before deploy ${requestId}$`));
    expect(held.requests.find((r) => r.requestId === requestId)).toMatchObject({ outcome: 'pending', detail: expect.stringMatching(/^held by freeze 'launch'/) });
    await h.waitForState('prod', 'the deploy to run once the window ended', (s) => s.current?.imageRef === 'web:1', 20_000);
    expect(h.recorder.callsOf('applyRelease')[0]!.scheduledAt).toBeGreaterThanOrEqual(now + 3_000);
  });

  it('let a rollback pass, and a deploy that overrides the freeze', async () => {
    const h = await start({ policy: fast });
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1');
    await h.deploy('prod', 'web:2');
    await h.waitForState('prod', 'web:2 healthy', (s) => s.current?.imageRef === 'web:2');
    const frozen: EnvironmentPolicy = { ...h.recorder.policy, freezeWindows: [oneOff('weekend', Date.now() - 1_000, Date.now() + 60 * 60_000)] };
    h.recorder.policy = frozen;
    await h.handle('prod').signal(policySignal, frozen);

    await h.rollback('prod');
    await h.waitForState('prod', 'the rollback to web:1', (s) => s.current?.imageRef === 'web:1');
    const held = await h.deploy('prod', 'web:3');
    await h.waitForState('prod', 'web:3 held', (s) => s.waitingFor.startsWith(`freeze 'weekend' until `));
    await h.deploy('prod', 'web:4', { overrideFreeze: true, reason: 'hotfix' });
    const state = await h.waitForState('prod', 'the override to deploy web:4', (s) => s.current?.imageRef === 'web:4');
    expect(state.requests.find((r) => r.requestId === held)).toMatchObject({ outcome: 'superseded' });
  });

  it('keep drift passes going while a deploy is held, and close an approved request a newer one superseded', async () => {
    const now = Date.now();
    const h = await start({ policy: fast });
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1');
    const gated: EnvironmentPolicy = { ...h.recorder.policy, approval, freezeWindows: [oneOff('launch', now - 1_000, now + 60 * 60_000)] };
    h.recorder.policy = gated;
    await h.handle('prod').signal(policySignal, gated);
    const first = await h.deploy('prod', 'web:2');
    await h.waitForState('prod', 'the approval asked for', (s) => s.approval?.requestId === first);
    await decide(h, 'prod', true, { requestId: first, decidedBy: 'alice' });
    await h.waitForState('prod', 'the approved deploy held', (s) => s.waitingFor.startsWith(`freeze 'launch'`));
    h.recorder.applyChanges = true;
    await h.reconcile('prod', { source: 'cluster', detail: 'Deployment/web changed' });
    const drifted = await h.waitForState('prod', 'a drift pass while held', (s) => s.lastDriftAt !== undefined && s.inFlight === undefined);
    expect(drifted.pending?.requestId).toBe(first);
    expect(h.recorder.callsOf('checkDrift')).toHaveLength(1);
    const second = await h.deploy('prod', 'web:3');
    await h.waitForState('prod', 'the newer deploy to wait for its own approval', (s) => s.approval?.requestId === second);
    expect(await rowWritten(h, first, 'cancelled')).toMatchObject({ errorType: 'Superseded', error: `superseded by deploy ${second} before it was released` });
    expect(h.recorder.callsOf('applyRelease').map((c) => c.input.release.imageRef)).toEqual(['web:1']);
  });

  it('hold rollbacks too when the window says so', async () => {
    const h = await start({ policy: fast });
    await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1');
    await h.deploy('prod', 'web:2');
    await h.waitForState('prod', 'web:2 healthy', (s) => s.current?.imageRef === 'web:2');
    const frozen: EnvironmentPolicy = { ...h.recorder.policy, freezeWindows: [oneOff('incident-review', Date.now() - 1_000, Date.now() + 60 * 60_000, { holdsRollbacks: true })] };
    await h.handle('prod').signal(policySignal, frozen);
    const requestId = await h.rollback('prod');
    await h.waitForState('prod', 'the rollback held', (s) => s.waitingFor.startsWith(`freeze 'incident-review' until `) && s.waitingFor.endsWith(`before rollback ${requestId}`));
    await h.rollback('prod', undefined, { overrideFreeze: true });
    await h.waitForState('prod', 'the override rollback to web:1', (s) => s.current?.imageRef === 'web:1');
  });
});

describe('notifications', () => {
  it('start one notification workflow per event, named by its id, for every release outcome and a drift correction', async () => {
    const h = await start({ policy: { ...fast, notifications: true }, failingImages: ['web:bad'] });
    h.recorder.notificationSubscribers = [7];
    const first = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'web:1 healthy', (s) => s.current?.imageRef === 'web:1');
    await h.deploy('prod', 'web:bad');
    await h.waitForState('prod', 'the automatic rollback', (s) => s.releases.some((r) => r.action === 'auto-rollback' && r.status === 'healthy'));
    h.recorder.holdRollouts = true;
    await h.deploy('prod', 'web:2');
    await h.waitForState('prod', 'web:2 rolling out', (s) => s.inFlight?.step === 'health');
    await h.cancel('prod');
    await h.waitForState('prod', 'web:2 cancelled', (s) => s.status === 'cancelled');
    h.recorder.holdRollouts = false;
    h.recorder.applyChanges = true;
    await h.reconcile('prod', { source: 'cluster', detail: 'Deployment/web changed' });
    await h.waitForState('prod', 'the drift pass', (s) => s.lastDriftAt !== undefined && s.inFlight === undefined);

    const delivered = () => h.recorder.callsOf('deliverNotification').map((c) => c.input.event);
    await waitFor('every event delivered', () => delivered().some((e) => e.type === 'dev.deployer.drift.corrected'), { timeoutMs: 30_000 });
    const types = delivered().map((e) => e.type);
    for (const type of ['request.accepted', 'release.started', 'release.healthy', 'release.failed', 'release.rolled-back', 'release.cancelled', 'drift.corrected']) {
      expect(types).toContain(`dev.deployer.${type}`);
    }
    const accepted = delivered().find((e) => e.type === 'dev.deployer.request.accepted' && e.requestId === first)!;
    expect(accepted).toMatchObject({ id: `${h.workflowId('prod')}/${first}/dev.deployer.request.accepted`, project: h.project, environment: 'prod', imageRef: 'web:1', actor: 'workflow-test' });
    const ids = delivered().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(h.recorder.callsOf('deliverNotification').every((c) => c.input.subscriptionId === 7)).toBe(true);
  });

  it('tell of a request held by a freeze and of an approval asked for', async () => {
    const now = Date.now();
    const h = await start({ policy: { ...fast, notifications: true, approval, freezeWindows: [oneOff('launch', now - 1_000, now + 60 * 60_000)] } });
    h.recorder.notificationSubscribers = [3];
    const requestId = await h.deploy('prod', 'web:1');
    await h.waitForState('prod', 'the approval asked for', (s) => s.approval?.requestId === requestId);
    await decide(h, 'prod', true, { requestId, decidedBy: 'alice' });
    await h.waitForState('prod', 'the approved deploy held by the freeze', (s) => s.waitingFor.startsWith(`freeze 'launch'`));
    const types = () => h.recorder.callsOf('deliverNotification').map((c) => c.input.event.type);
    await waitFor('both events delivered', () => types().includes('dev.deployer.request.held') && types().includes('dev.deployer.approval.requested'), { timeoutMs: 30_000 });
  });
});
