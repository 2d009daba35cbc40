// Release gates at the API's doors: registering an approval gate and freeze windows (for an
// environment and for its whole project), the effective policy reads show, the policy pushed to a
// running workflow when any part of it changes, and who may approve, reject or override a freeze.
// What the workflow does at its gates is its own suite's concern.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/listen.js';
import { DeployerClient, NotAwaitingApprovalError } from '../../src/client/deployer-client.js';
import { HttpDeployerClient } from '../../src/client/http-deployer-client.js';
import { InvalidRequestError } from '../../src/domain/request-rules.js';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { testEnv } from '../support/env.js';
import { auditRows, call, cliThroughApi, setUpApiTest, signalsOf, type ApiTest } from './support.js';

const weekend = { name: 'weekend', cron: '0 18 * * FRI', duration: '62h', time_zone: 'Europe/Berlin' };
const launch = { name: 'launch', from: '2026-12-21T00:00:00+01:00', until: '2026-12-23T00:00:00+01:00', holds_rollbacks: true };
const holidays = { name: 'holidays', from: '2026-12-24T00:00', until: '2027-01-02T00:00', time_zone: 'Europe/Berlin' };

describe('release gates at the doors', () => {
  let test: ApiTest;
  const envPath = (env: string) => `/api/projects/${test.project}/environments/${env}`;
  const deployment = (env: string) => `/api/projects/${test.project}/deployments/${env}`;
  const register = (env: string, policy: Record<string, unknown> = {}) =>
    call(test.app, 'PUT', envPath(env), {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace: `${test.prefix}-${env}`, policy },
    });
  const policySignals = async (env: string) => (await signalsOf(test.client, environmentWorkflowId(test.project, env))).filter((signal) => signal.name === 'policy');

  beforeAll(async () => {
    test = await setUpApiTest('gates');
    expect((await call(test.app, 'POST', '/api/admin/ops-repos', { token: test.tokens.admin, json: { name: `${test.prefix}-ops`, url: 'https://git.example.com/ops.git' } })).status).toBe(201);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('registers an approval gate and freeze windows, stores them validated and shows them in the effective policy', async () => {
    const registered = await register('prod', { approval: { required: true, expires_after: '24h', approvers: 'deploy:approve' }, freeze_windows: [weekend, launch] });
    expect(registered.status).toBe(201);
    expect(registered.body.policy).toMatchObject({
      approval: { required: true, expires_after: '1d', allow_self_approval: false, approvers: 'deploy:approve' },
      freeze_windows: [
        { kind: 'recurring', name: 'weekend', cron: '0 18 * * FRI', duration: '2d14h', time_zone: 'Europe/Berlin', holds_rollbacks: false, source: 'environment' },
        { kind: 'one-off', name: 'launch', from: '2026-12-20T23:00:00.000Z', until: '2026-12-22T23:00:00.000Z', holds_rollbacks: true, source: 'environment' },
      ],
      notifications: false,
    });
    const { rows } = await test.pool.query('SELECT policy FROM environments WHERE project = $1 AND name = $2', [test.project, 'prod']);
    expect(rows[0].policy).toEqual({
      approval: { required: true, expiresAfterMs: 86_400_000, allowSelfApproval: false },
      freezeWindows: [
        { kind: 'recurring', name: 'weekend', cron: '0 18 * * FRI', duration: 223_200_000, timeZone: 'Europe/Berlin', holdsRollbacks: false },
        { kind: 'one-off', name: 'launch', from: '2026-12-20T23:00:00.000Z', until: '2026-12-22T23:00:00.000Z', holdsRollbacks: true },
      ],
    });
  });

  it("shows the environment's windows followed by its project's, and notifications once a subscription covers it", async () => {
    const set = await call(test.app, 'PUT', `/api/projects/${test.project}/policy`, { token: test.tokens.admin, json: { freeze_windows: [holidays] } });
    expect(set.status).toBe(201);
    const projectWindow = { kind: 'one-off', name: 'holidays', from: '2026-12-23T23:00:00.000Z', until: '2027-01-01T23:00:00.000Z', time_zone: 'Europe/Berlin', holds_rollbacks: false };
    expect(set.body.freeze_windows).toEqual([projectWindow]);
    const subscribed = await call(test.app, 'POST', '/api/notifications/subscriptions', {
      token: test.tokens.admin,
      json: { project: test.project, environment: 'prod', url: 'https://hooks.example.com/deployer', format: 'cloudevents', events: ['*'] },
    });
    expect(subscribed.status).toBe(201);

    const read = await call(test.app, 'GET', deployment('prod'), { token: test.tokens.reader });
    expect(read.status).toBe(200);
    expect(read.body.registration.policy.freeze_windows.map((w: { name: string; source: string }) => `${w.source}:${w.name}`)).toEqual([
      'environment:weekend',
      'environment:launch',
      'project:holidays',
    ]);
    expect(read.body.registration.policy).toMatchObject({ approval: { required: true }, notifications: true, min_interval_ms: 2_000 });
  });

  it('sends the effective policy to a running workflow after each change to it, and starts none', async () => {
    await register('staging');
    // The test's queue has no worker: the deploy starts the workflow, which records what it is sent.
    expect((await call(test.app, 'PATCH', deployment('staging'), { token: test.tokens.promoter, json: { image_ref: 'web:1' } })).status).toBe(202);
    test.started.add(environmentWorkflowId(test.project, 'staging'));

    await register('staging', { approval: { required: true, expires_after: 3_600_000, allow_self_approval: true } });
    const afterRegistration = await policySignals('staging');
    expect(afterRegistration.at(-1)!.payload).toMatchObject({
      approval: { required: true, expiresAfterMs: 3_600_000, allowSelfApproval: true },
      freezeWindows: [expect.objectContaining({ name: 'holidays' })],
      notifications: false,
    });

    await call(test.app, 'PUT', `/api/projects/${test.project}/policy`, { token: test.tokens.admin, json: { freeze_windows: [] } });
    expect((await policySignals('staging')).at(-1)!.payload).toMatchObject({ freezeWindows: [], notifications: false });

    const subscribed = await call(test.app, 'POST', '/api/notifications/subscriptions', {
      token: test.tokens.admin,
      json: { project: test.project, url: 'https://hooks.example.com/all', format: 'slack', events: ['*'] },
    });
    expect((await policySignals('staging')).at(-1)!.payload).toMatchObject({ notifications: true });
    expect((await call(test.app, 'DELETE', `/api/notifications/subscriptions/${subscribed.body.id}`, { token: test.tokens.admin })).status).toBe(204);
    expect((await policySignals('staging')).at(-1)!.payload).toMatchObject({ notifications: false });
    expect(await policySignals('staging')).toHaveLength(4);

    // prod has no workflow: the changes reached it only in the database.
    expect(await signalsOf(test.client, environmentWorkflowId(test.project, 'prod'))).toEqual([]);
  });

  it('still answers a registration whose policy could not be sent, and logs why', async () => {
    const logged: Array<{ message: string; context: Record<string, unknown> }> = [];
    const connection = await Connection.connect({ address: testEnv.temporalAddress });
    const unreachable = new Client({ connection, namespace: testEnv.temporalNamespace });
    await connection.close();
    const app = test.appWith({ temporalClient: unreachable, logger: { error: (context, message) => logged.push({ message, context }) } });
    const response = await call(app, 'PUT', envPath('staging'), {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace: `${test.prefix}-staging` },
    });
    expect(response.status).toBe(200);
    expect(logged).toEqual([{ message: expect.stringContaining('applies the policy at its next load'), context: expect.objectContaining({ project: test.project, environment: 'staging' }) }]);
  });

  it("refuses an approval or rejection where nothing waits for one, naming the request, audited with the caller's reason", async () => {
    const approver = await test.token('approver', ['deploy:approve']);
    for (const decision of ['approve', 'reject'] as const) {
      const response = await call(test.app, 'POST', `${deployment('prod')}/${decision}`, {
        token: approver,
        headers: { 'Idempotency-Key': `${test.prefix}-${decision}` },
        json: { request_id: 'build-7', reason: 'looks good' },
      });
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({ code: 'not_awaiting_approval', details: { request_id: 'build-7' } });
      expect(response.body.error.message).toContain('build-7');
      expect(response.body.error.message).toMatch(/nothing is waiting for approval/);
      const [audit] = await auditRows(test, { requestId: `${test.prefix}-${decision}` });
      expect(audit).toMatchObject({ action: `deployment.${decision}`, outcome: 'rejected', environment: 'prod', details: { request_id: 'build-7', reason: 'looks good', status: 409 } });
    }
    expect(await signalsOf(test.client, environmentWorkflowId(test.project, 'prod'))).toEqual([]);
  });

  it('lets only an admin override a freeze, and only with a reason', async () => {
    const overriding = { image_ref: 'web:2', override_freeze: true, reason: 'hotfix for incident 42' };
    const promoted = await call(test.app, 'PATCH', deployment('staging'), { token: test.tokens.promoter, json: overriding });
    expect(promoted.status).toBe(403);
    expect(promoted.body.error.message).toMatch(/override_freeze needs the admin scope/);
    const rollback = await call(test.app, 'POST', `${deployment('staging')}/rollback`, { token: test.tokens.promoter, json: { override_freeze: true, reason: 'incident 42' } });
    expect(rollback.status).toBe(403);

    const unexplained = await call(test.app, 'PATCH', deployment('staging'), { token: test.tokens.admin, json: { image_ref: 'web:2', override_freeze: true } });
    expect(unexplained.status).toBe(400);
    expect(unexplained.body.error.details).toContainEqual({ field: 'reason', message: expect.stringContaining('override_freeze') });

    const before = (await signalsOf(test.client, environmentWorkflowId(test.project, 'staging'))).length;
    const accepted = await call(test.app, 'PATCH', deployment('staging'), { token: test.tokens.admin, headers: { 'Idempotency-Key': `${test.prefix}-override` }, json: overriding });
    expect(accepted.status).toBe(202);
    const sent = (await signalsOf(test.client, environmentWorkflowId(test.project, 'staging'))).slice(before);
    expect(sent).toEqual([{ name: 'deploy', payload: expect.objectContaining({ imageRef: 'web:2', overrideFreeze: true, reason: 'hotfix for incident 42', requestedBy: `${test.prefix}-admin` }) }]);
    const [audit] = await auditRows(test, { requestId: `${test.prefix}-override` });
    expect(audit).toMatchObject({ action: 'deployment.update', outcome: 'accepted', details: { override_freeze: true, image_ref: 'web:2' } });

    const rolledBack = await call(test.app, 'POST', `${deployment('staging')}/rollback`, { token: test.tokens.admin, json: { override_freeze: true, reason: 'incident 42' } });
    expect(rolledBack.status).toBe(202);
    expect((await signalsOf(test.client, environmentWorkflowId(test.project, 'staging'))).at(-1)).toMatchObject({ name: 'rollback', payload: { overrideFreeze: true } });
  });

  it('answers 503 naming the request when no worker takes the decision in time', async () => {
    // staging's workflow runs on the test's queue, which no worker polls.
    const response = await call(test.app, 'POST', `${deployment('staging')}/approve`, { token: test.tokens.admin, json: { request_id: 'build-8' } });
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({ code: 'workflow_unavailable', details: { request_id: 'build-8' } });
    expect(response.body.error.message).toContain('build-8');
  });

  it('approves, rejects and overrides a freeze through both SDKs, by the rules every door applies', async () => {
    const server = await startApiServer({ app: test.app, port: 0, host: '127.0.0.1' });
    try {
      const http = new HttpDeployerClient({ url: `http://127.0.0.1:${server.port}`, token: await test.token('sdk-approver', ['deploy:approve']) });
      const direct = new DeployerClient({ client: test.client, taskQueue: test.taskQueue, acceptTimeoutMs: 500 });
      const decision = { project: test.project, environment: 'prod', requestId: 'build-9', decidedBy: 'alice', reason: 'checked' };
      await expect(http.approve(decision)).rejects.toMatchObject({ name: 'ApiRequestError', status: 409, code: 'not_awaiting_approval' });
      await expect(http.reject(decision)).rejects.toMatchObject({ name: 'ApiRequestError', status: 409, details: { request_id: 'build-9' } });
      const refused = await direct.approve(decision).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NotAwaitingApprovalError);
      expect(refused).toMatchObject({ requestId: 'build-9', message: expect.stringContaining('nothing is waiting for approval') });
      // Refused before anything is sent, naming the field.
      for (const client of [http, direct]) {
        await expect(client.approve({ ...decision, requestId: 'not an id' })).rejects.toMatchObject({ name: 'InvalidRequestError', problems: [expect.objectContaining({ field: 'requestId' })] });
        await expect(client.reject({ ...decision, decidedBy: '' })).rejects.toMatchObject({ problems: [expect.objectContaining({ field: 'decidedBy' })] });
        await expect(client.deploy({ project: test.project, environment: 'staging', imageRef: 'web:3', requestedBy: 'ci', overrideFreeze: true })).rejects.toBeInstanceOf(InvalidRequestError);
      }

      const before = (await signalsOf(test.client, environmentWorkflowId(test.project, 'staging'))).length;
      await direct.rollback({ project: test.project, environment: 'staging', requestedBy: 'oncall', reason: 'incident 43', overrideFreeze: true });
      const admin = new HttpDeployerClient({ url: `http://127.0.0.1:${server.port}`, token: test.tokens.admin });
      await admin.deploy({ project: test.project, environment: 'staging', imageRef: 'web:3', requestedBy: 'ci', reason: 'incident 43', overrideFreeze: true });
      expect((await signalsOf(test.client, environmentWorkflowId(test.project, 'staging'))).slice(before)).toEqual([
        { name: 'rollback', payload: expect.objectContaining({ overrideFreeze: true, requestedBy: 'oncall' }) },
        { name: 'deploy', payload: expect.objectContaining({ overrideFreeze: true, imageRef: 'web:3' }) },
      ]);
    } finally {
      await server.close();
    }
  });

  it('is approved, rejected and overridden from the command line, which names what is missing', async () => {
    const cli = (token: string, ...args: string[]) => cliThroughApi(test.app, token, args, { DEPLOYER_USER: 'alice' });
    const approver = await test.token('cli-approver', ['deploy:approve']);
    const target = ['--project', test.project, '--env', 'prod'];
    expect(await cli(approver, 'approve', ...target, '--request', 'build-10', '--reason', 'checked')).toMatchObject({ code: 1, err: expect.stringMatching(/nothing is waiting for approval .*build-10/) });
    expect(await cli(approver, 'reject', ...target, '--request', 'build-10')).toMatchObject({ code: 1, err: expect.stringContaining('not_awaiting_approval') });
    expect(await cli(approver, 'approve', ...target)).toMatchObject({ code: 2, err: expect.stringContaining('--request is required') });
    expect(await cli(approver, 'approve', ...target, '--request', 'build 10')).toMatchObject({ code: 2, err: expect.stringContaining('--request "build 10" must be') });
    expect(await cli(test.tokens.admin, 'deploy', '--project', test.project, '--env', 'staging', '--image', 'web:4', '--override-freeze')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--override-freeze needs --reason'),
    });
    expect(await cli(test.tokens.promoter, 'rollback', '--project', test.project, '--env', 'staging', '--override-freeze', '--reason', 'incident 44')).toMatchObject({
      code: 1,
      err: expect.stringContaining('override_freeze needs the admin scope'),
    });
    const deployed = await cli(test.tokens.admin, 'deploy', '--project', test.project, '--env', 'staging', '--image', 'web:4', '--override-freeze', '--reason', 'incident 44');
    expect(deployed).toMatchObject({ code: 0, out: expect.stringContaining('accepted: request') });
    expect((await signalsOf(test.client, environmentWorkflowId(test.project, 'staging'))).at(-1)).toMatchObject({ name: 'deploy', payload: { imageRef: 'web:4', overrideFreeze: true, reason: 'incident 44' } });
  });
});
