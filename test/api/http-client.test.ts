// The HTTP SDK against the real API server and a worker: a pipeline with only a token deploys,
// waits through the API's long poll, hears why a release failed, and is refused what the API
// refuses — with the request audited under the token's name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/listen.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { waitFor } from '../../scripts/stack/wait.js';
import { ReleaseFailedError, type Accepted } from '../../src/client/deployer-client.js';
import { ApiRequestError, HttpDeployerClient } from '../../src/client/http-deployer-client.js';
import { InvalidRequestError } from '../../src/domain/request-rules.js';
import { WorkflowHarness } from '../workflow/harness.js';
import { auditRows, call, registerTestEnvironment, setUpApiTest, type ApiTest } from './support.js';

describe('HttpDeployerClient', () => {
  let harness: WorkflowHarness;
  let test: ApiTest;
  let server: ApiServer;
  let deployer: HttpDeployerClient;
  let url: string;

  beforeAll(async () => {
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 60_000, autoRollback: false }, failingImages: ['web:broken'] });
    await harness.startWorker();
    test = await setUpApiTest('httpsdk', { temporalClient: harness.client, taskQueue: harness.taskQueue, requestAcceptTimeoutMs: 10_000 });
    await registerTestEnvironment(test, test.project, 'prod');
    await registerTestEnvironment(test, test.project, 'burst');
    await registerTestEnvironment(test, test.project, 'recorded');
    server = await startApiServer({ app: test.app, port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${server.port}`;
    deployer = new HttpDeployerClient({ url, token: test.tokens.promoter });
  });
  afterAll(async () => {
    await server?.close();
    await harness?.close();
    await test?.close();
  });

  const key = () => ({ project: test.project, environment: 'prod' });

  it('deploys through the API and waits for the release by long poll, audited under the token', async () => {
    const { requestId, workflowId } = await deployer.deploy({ ...key(), imageRef: 'registry.example/web:1', requestedBy: 'ci', reason: 'build 1' });
    expect(workflowId).toBe(`deploy/${test.project}/prod`);
    const progress: string[] = [];
    const release = await deployer.waitForRelease(key(), requestId, { timeoutMs: 60_000, onProgress: (p) => progress.push(p.summary) });
    expect(release).toMatchObject({ seq: 1, imageRef: 'registry.example/web:1', status: 'healthy', opsSha: 'sha-1' });
    const [audit] = await auditRows(test, { requestId });
    expect(audit).toMatchObject({ action: 'deployment.update', actor: `${test.prefix}-promoter`, outcome: 'accepted' });

    // The long poll answers at once for a request that has its outcome, and holds for one that does not.
    const answered = await call(test.app, 'GET', `/api/projects/${test.project}/deployments/prod/requests/${requestId}?wait_s=30`, { token: test.tokens.reader });
    expect(answered.body).toMatchObject({ request_id: requestId, outcome: 'healthy', final: true, release: { image_ref: 'registry.example/web:1' }, workflow_status: 'RUNNING' });
    const startedAt = Date.now();
    const unknown = await call(test.app, 'GET', `/api/projects/${test.project}/deployments/prod/requests/not-sent-yet?wait_s=1`, { token: test.tokens.reader });
    expect(unknown.body).toMatchObject({ outcome: 'unknown', final: false });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('rejects with the reason when the release fails, and with the API\'s answer when it refuses', async () => {
    const { requestId } = await deployer.deploy({ ...key(), imageRef: 'web:broken', requestedBy: 'ci' });
    const failure = await deployer.waitForRelease(key(), requestId, { timeoutMs: 60_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReleaseFailedError);
    expect(failure).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('ProgressDeadlineExceeded'), release: { imageRef: 'web:broken', status: 'failed' } });

    const reader = new HttpDeployerClient({ url, token: test.tokens.reader });
    await expect(reader.stop({ ...key(), requestedBy: 'ci' })).rejects.toMatchObject({ name: 'ApiRequestError', status: 403 });
    const missing = await deployer.deploy({ project: test.project, environment: 'nowhere', imageRef: 'web:1', requestedBy: 'ci' }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ApiRequestError);
    expect(missing).toMatchObject({ status: 404 });
  });

  it('answers a long poll on a deploy superseded early in a burst at once, however many came after it, from the receipt the API recorded', async () => {
    const burst = { project: test.project, environment: 'burst' };
    harness.recorder.holdRollouts = true;
    const first = await deployer.deploy({ ...burst, imageRef: 'web:0', requestedBy: 'ci' });
    expect(first.outcome).toBe('pending');
    await waitFor('the first rollout to be held', () => harness.recorder.rolloutsWaiting === 1);
    const sent: Accepted[] = [];
    for (let i = 1; i <= 70; i++) sent.push(await deployer.deploy({ ...burst, imageRef: `web:${i}`, requestedBy: 'ci' }));
    expect(new Set(sent.map((a) => a.outcome))).toEqual(new Set(['pending']));
    const early = sent[4]!;
    const [audit] = await auditRows(test, { requestId: early.requestId });
    expect(audit?.details).toMatchObject({ signal: 'deploy', position: 6, first_run_id: expect.any(String) });

    // The first release is still held: the answer comes from the receipt, not from the environment moving on.
    const answered = await call(test.app, 'GET', `/api/projects/${test.project}/deployments/burst/requests/${early.requestId}?wait_s=30`, { token: test.tokens.reader });
    expect(answered.body).toMatchObject({ request_id: early.requestId, outcome: 'superseded', final: true, release: null, workflow_status: 'RUNNING' });
    const failure = await deployer.waitForRelease(burst, early.requestId, { timeoutMs: 60_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReleaseFailedError);
    expect(failure).toMatchObject({ outcome: 'superseded' });
    expect(harness.recorder.rolloutsWaiting).toBe(1);

    harness.recorder.releaseRollouts();
    expect(await deployer.waitForRelease(burst, sent.at(-1)!.requestId, { timeoutMs: 60_000 })).toMatchObject({ imageRef: 'web:70', status: 'healthy' });
  });

  it('answers a request no workflow tells of any more from its history row', async () => {
    // As a release of a run long gone left it: the history row is all there is.
    await test.pool.query(
      `INSERT INTO deployment_history (idempotency_key, project, environment, action, status, image_ref, sha, request_id, started_at, finished_at)
       VALUES ($1, $2, 'recorded', 'deploy', 'healthy', 'web:9', 'sha-9', 'rec-1', now(), now())`,
      [`${test.prefix}/recorded/1`, test.project],
    );
    const answered = await call(test.app, 'GET', `/api/projects/${test.project}/deployments/recorded/requests/rec-1?wait_s=30`, { token: test.tokens.reader });
    expect(answered.body).toMatchObject({ outcome: 'healthy', final: true, release: { seq: null, image_ref: 'web:9', ops_sha: 'sha-9', status: 'healthy' }, workflow_status: 'NONE' });
    expect(await deployer.waitForRelease({ project: test.project, environment: 'recorded' }, 'rec-1', { timeoutMs: 10_000 })).toEqual({
      seq: undefined, imageRef: 'web:9', opsSha: 'sha-9', status: 'healthy', error: undefined,
    });
  });

  it('refuses a deploy the API\'s rules refuse without starting a workflow', async () => {
    const refused = await call(test.app, 'PATCH', `/api/projects/${test.project}/deployments/burst-refused`, { token: test.tokens.promoter, json: { image_ref: 'NGINX:1' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d: { field: string }) => d.field)).toEqual(['image_ref']);
    await expect(harness.handle('burst-refused').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('checks a request by the rules every door applies before sending it', async () => {
    const before = (await auditRows(test)).length;
    const refused = await deployer.deploy({ ...key(), imageRef: 'NGINX:1', requestedBy: 'ci', reason: 'two\nlines' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect((refused as InvalidRequestError).problems.map((p) => p.field)).toEqual(['imageRef', 'reason']);
    expect((await auditRows(test)).length).toBe(before);
  });
});
