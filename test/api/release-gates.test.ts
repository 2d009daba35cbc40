// Release gates end to end, on the real stack: through the API to a real worker, its ops repo, the
// API server and Postgres. A subscribed receiver gets signed CloudEvents for a deploy, a failure with
// its automatic rollback and a drift correction, exactly once each although it answers 500 twice
// first; an approval-gated deploy waits with its diff, through a worker restart, until approved;
// a rejection records why; a freeze window holds a deploy until it ends while a rollback passes,
// and an override passes and is audited.
import * as k8s from '@kubernetes/client-node';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { call, cliThroughApi, createLocalGitRepo, git, setUpApiTest, type ApiTest } from './support.js';

const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
{% if values.progressDeadlineSeconds %}  progressDeadlineSeconds: {{ values.progressDeadlineSeconds }}
{% endif %}  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
{% if values.pool %}      nodeSelector: { deployer.test/pool: {{ values.pool }} }
{% endif %}      containers:
        - name: web
          image: {{ image_ref }}
`;

const SECRET = 'a-receiver-secret-of-32-characters';

/** A receiver that answers 500 to the first two attempts of every event, then 200, and keeps what it got. */
class Receiver {
  readonly attempts = new Map<string, number>();
  readonly delivered: Array<{ id: string; type: string; event: Record<string, unknown>; signed: boolean }> = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(request.headers['idempotency-key']);
        const attempt = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, attempt);
        if (attempt <= 2) {
          response.writeHead(500).end('not yet');
          return;
        }
        const timestamp = String(request.headers['x-deployer-timestamp']);
        const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
        const event = JSON.parse(body) as Record<string, unknown>;
        this.delivered.push({ id, type: String(event.type), event, signed: request.headers['x-deployer-signature'] === expected });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  deliveredOf(type: string) {
    return this.delivered.filter((d) => d.type === `dev.deployer.${type}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('release gates', () => {
  let test: ApiTest;
  let worker: RealWorker;
  let app: ApiTest['app'];
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  let kubeConfig: k8s.KubeConfig;
  let scratch: string;
  let repoDir: string;
  let approver: string;
  /** asks for releases and approves them: never its own */
  let lead: string;
  const receiver = new Receiver();
  const env = 'prod';
  let namespace: string;
  let base: string;
  let taskQueue: string;
  const basePolicy = { min_interval_ms: 0, drift_interval_ms: 3_000, health_timeout_ms: 60_000 };

  const startWorker = async () => {
    worker = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig, repoCacheDir: join(scratch, 'cache') });
  };
  const register = (policy: Record<string, unknown>) =>
    call(app, 'PUT', `/api/projects/${test.project}/environments/${env}`, {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace, policy: { ...basePolicy, ...policy } },
    });
  const deploy = async (image: string, extra: Record<string, unknown> = {}, token = test.tokens.promoter) => {
    const sent = await call(app, 'PATCH', base, { token, json: { image_ref: image, ...extra } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    return sent.body.request_id as string;
  };
  const state = async () => (await call(app, 'GET', base, { token: test.tokens.reader })).body.workflow?.state as Record<string, any> | null;
  const waitForState = (what: string, predicate: (s: Record<string, any>) => boolean, timeoutMs = 60_000) =>
    waitFor(what, async () => {
      const s = await state();
      return s && predicate(s) ? s : undefined;
    }, { timeoutMs, intervalMs: 200 });
  const historyOf = async (requestId: string) =>
    (await call(app, 'GET', `${base}/history?limit=100`, { token: test.tokens.reader })).body.items.filter((row: any) => row.request_id === requestId);
  const liveImage = async () => (await apps.readNamespacedDeployment({ name: 'web', namespace })).spec?.template.spec?.containers[0]?.image;

  beforeAll(async () => {
    test = await setUpApiTest('gates');
    scratch = await mkdtemp(join(tmpdir(), 'api-gates-'));
    repoDir = join(scratch, 'ops');
    const url = await createLocalGitRepo(repoDir);
    await writeFile(join(repoDir, 'values.yaml'), 'pool: ""\n');
    await writeFile(join(repoDir, 'app.yaml.njk'), TEMPLATE);
    git(repoDir, 'add', '.');
    git(repoDir, 'commit', '--quiet', '-m', 'web');
    kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    taskQueue = `${test.taskQueue}-worker`;
    await startWorker();
    app = test.appWith({ taskQueue });
    approver = await test.token('approver', ['deploy:approve', 'deploy:read']);
    lead = await test.token('lead', ['deploy:promote', 'deploy:approve']);
    namespace = `${test.project}-${env}`.slice(0, 63).replace(/-+$/, '');
    base = `/api/projects/${test.project}/deployments/${env}`;
    expect((await call(app, 'POST', '/api/admin/ops-repos', { token: test.tokens.admin, json: { name: `${test.prefix}-ops`, url } })).status).toBe(201);
    expect((await register({})).status).toBe(201);
    const hook = await receiver.start();
    const subscribed = await call(app, 'POST', '/api/notifications/subscriptions', {
      token: test.tokens.admin,
      json: { project: test.project, environment: env, url: hook, format: 'cloudevents', events: ['release.healthy', 'release.failed', 'release.rolled-back', 'drift.corrected', 'approval.requested', 'request.held'].map((e) => `dev.deployer.${e}`), secret: SECRET },
    });
    expect(subscribed.status, JSON.stringify(subscribed.body)).toBe(201);
  });

  afterAll(async () => {
    await worker?.close([`deploy/${test.project}/${env}`]);
    await receiver.close();
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('tells a receiver of a deploy, a failure with its automatic rollback and a drift correction: signed, exactly once each, though it answers 500 twice first', async () => {
    await deploy('registry.example/shop/web:1.0.0');
    await waitForState('1.0.0 healthy', (s) => s.current?.imageRef === 'registry.example/shop/web:1.0.0' && !s.inFlight);
    await deploy('registry.example/shop/web:2.0.0', { values_override: { pool: 'nowhere', progressDeadlineSeconds: 5 } });
    await waitForState('the automatic rollback', (s) => s.current?.action === 'auto-rollback' && !s.inFlight, 120_000);
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace, fieldManager: 'kubectl-edit', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/shop/web:hotfix' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await waitFor('the drift correction delivered', () => receiver.deliveredOf('drift.corrected').length > 0, { timeoutMs: 60_000 });
    await waitFor('the rollback delivered', () => receiver.deliveredOf('release.rolled-back').length > 0, { timeoutMs: 30_000 });

    const [healthy] = receiver.deliveredOf('release.healthy');
    expect(healthy!.event).toMatchObject({
      specversion: '1.0',
      type: 'dev.deployer.release.healthy',
      source: `/deployer/projects/${test.project}/environments/${env}`,
      data: { project: test.project, environment: env, image_ref: 'registry.example/shop/web:1.0.0' },
    });
    expect(receiver.deliveredOf('release.failed')[0]!.event).toMatchObject({ data: { image_ref: 'registry.example/shop/web:2.0.0', error: expect.stringContaining('ProgressDeadlineExceeded') } });
    expect(receiver.deliveredOf('release.rolled-back')[0]!.event).toMatchObject({ data: { image_ref: 'registry.example/shop/web:1.0.0' } });
    for (const delivery of receiver.delivered) {
      expect(delivery.signed, `${delivery.id} is signed with the subscription's secret`).toBe(true);
      expect(receiver.attempts.get(delivery.id), `${delivery.id}: two refused attempts, then the one delivered`).toBe(3);
    }
    const ids = receiver.delivered.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Events of a type the subscription did not ask for never reach it.
    expect(receiver.delivered.some((d) => d.type === 'dev.deployer.release.started')).toBe(false);
  });

  it('holds an approval-gated deploy with its diff, through a worker restart, and deploys it once approved; the requester may not approve it', async () => {
    expect((await register({ approval: { required: true, expires_after: '1h' } })).status).toBe(200);
    await waitForState('the hand edit undone', (s) => !s.inFlight && s.current?.imageRef === 'registry.example/shop/web:1.0.0');
    const requestId = await deploy('registry.example/shop/web:1.1.0', {}, lead);
    const waiting = await waitForState('the deploy to wait for approval', (s) => s.approval?.requestId === requestId);
    expect(waiting.waitingFor).toMatch(new RegExp(`^approval of request ${requestId} by deploy:approve since `));
    const [row] = await historyOf(requestId);
    expect(row).toMatchObject({ status: 'awaiting-approval', image_ref: 'registry.example/shop/web:1.1.0' });
    expect(row.changes.objects).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        action: 'configured',
        diff: [{ path: 'spec.template.spec.containers[name=web].image', before: 'registry.example/shop/web:1.0.0', after: 'registry.example/shop/web:1.1.0' }],
      }),
    ]);
    expect(await liveImage()).toBe('registry.example/shop/web:1.0.0');

    await worker.close();
    await startWorker();
    // The new worker has the workflow once it answers for it: the wait survived the restart.
    await waitForState('the new worker to answer for the waiting deploy', (s) => s.approval?.requestId === requestId);
    const self = await call(app, 'POST', `${base}/approve`, { token: lead, json: { request_id: requestId } });
    expect(self.status).toBe(409);
    expect(self.body.error).toMatchObject({ code: 'approval_refused', message: expect.stringContaining('may not approve it') });
    const promoter = await call(app, 'POST', `${base}/approve`, { token: test.tokens.promoter, json: { request_id: requestId } });
    expect(promoter.status).toBe(403);

    const approved = await call(app, 'POST', `${base}/approve`, { token: approver, json: { request_id: requestId, reason: 'reviewed the diff' } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await waitForState('1.1.0 healthy', (s) => s.current?.imageRef === 'registry.example/shop/web:1.1.0' && !s.inFlight);
    expect(await liveImage()).toBe('registry.example/shop/web:1.1.0');
    const rows = await historyOf(requestId);
    const release = rows.find((r: any) => r.status === 'healthy');
    expect(Date.parse(release.started_at) - Date.parse(approved.body.decided_at)).toBeLessThan(1_000);
    expect(release.approval).toMatchObject({ decision: 'approved', by: `${test.prefix}-approver`, reason: 'reviewed the diff' });
    expect(rows.find((r: any) => r.status === 'approved')).toBeDefined();
    // Every attempt is audited (the refused ones too); the approver's is the decision.
    const audit = await test.pool.query("SELECT actor, details FROM audit_log WHERE project = $1 AND action = 'deployment.approve' ORDER BY id", [test.project]);
    expect(audit.rows.filter((row) => row.actor === `${test.prefix}-approver`).map((row) => row.details)).toEqual([
      expect.objectContaining({ request_id: requestId, reason: 'reviewed the diff' }),
    ]);
    const history = await cliThroughApi(app, test.tokens.reader, ['history', '--project', test.project, '--env', env], { XDG_CONFIG_HOME: join(scratch, 'home') });
    expect(history.out).toMatch(new RegExp(`registry.example/shop/web:1.1.0 .*\n    approved by ${test.prefix}-approver at \\S+: reviewed the diff\n    1 configured`));
    await waitFor('the approval request delivered', () => receiver.deliveredOf('approval.requested').some((d) => (d.event.data as any).request_id === requestId), { timeoutMs: 30_000 });
  });

  it('records why a rejected request did not run', async () => {
    const requestId = await deploy('registry.example/shop/web:1.2.0');
    await waitForState('the deploy to wait for approval', (s) => s.approval?.requestId === requestId);
    const rejected = await call(app, 'POST', `${base}/reject`, { token: approver, json: { request_id: requestId, reason: 'not during the sale' } });
    expect(rejected.status).toBe(200);
    const row = await waitFor('the rejection recorded', async () => (await historyOf(requestId)).find((r: any) => r.status === 'cancelled'));
    expect(row).toMatchObject({ error_type: 'ApprovalRejected', error: `rejected by ${test.prefix}-approver: not during the sale`, approval: { decision: 'rejected' } });
    const refused = await call(app, 'POST', `${base}/approve`, { token: approver, json: { request_id: requestId } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(`request ${requestId} is not waiting for approval`);
    expect(await liveImage()).toBe('registry.example/shop/web:1.1.0');
  });

  it('holds a deploy in a freeze window until it ends; a rollback passes; an override passes and is audited', async () => {
    expect((await register({})).status).toBe(200);
    const now = Date.now();
    const short = await call(app, 'PUT', `/api/projects/${test.project}/policy`, {
      token: test.tokens.admin,
      json: { freeze_windows: [{ name: 'launch', from: new Date(now - 1_000).toISOString(), until: new Date(now + 6_000).toISOString() }] },
    });
    expect(short.status, JSON.stringify(short.body)).toBe(201);
    const held = await deploy('registry.example/shop/web:1.3.0');
    const holding = await waitForState('the freeze to hold the deploy', (s) => s.pending?.requestId === held && String(s.waitingFor).startsWith(`freeze 'launch' until `));
    expect(holding.waitingFor).toContain(`before deploy ${held}`);
    await waitForState('the deploy once the window ended', (s) => s.current?.imageRef === 'registry.example/shop/web:1.3.0' && !s.inFlight, 60_000);
    const [release] = (await historyOf(held)).filter((r: any) => r.status === 'healthy');
    expect(Date.parse(release.started_at)).toBeGreaterThanOrEqual(now + 6_000);
    await waitFor('the hold delivered', () => receiver.deliveredOf('request.held').length > 0, { timeoutMs: 30_000 });

    const long = await call(app, 'PUT', `/api/projects/${test.project}/policy`, {
      token: test.tokens.admin,
      json: { freeze_windows: [{ name: 'weekend', from: new Date(Date.now() - 1_000).toISOString(), until: new Date(Date.now() + 3_600_000).toISOString() }] },
    });
    expect(long.status).toBe(200);
    const rollback = await call(app, 'POST', `${base}/rollback`, { token: test.tokens.promoter, json: { reason: 'back to 1.1.0' } });
    expect(rollback.status).toBe(202);
    await waitForState('the rollback through the freeze', (s) => s.current?.action === 'rollback' && s.current?.imageRef === 'registry.example/shop/web:1.1.0' && !s.inFlight);

    const refused = await call(app, 'PATCH', base, { token: test.tokens.promoter, json: { image_ref: 'registry.example/shop/web:1.4.0', override_freeze: true, reason: 'hotfix' } });
    expect(refused.status).toBe(403);
    const override = await deploy('registry.example/shop/web:1.4.0', { override_freeze: true, reason: 'hotfix for checkout' }, test.tokens.admin);
    await waitForState('the override deploy', (s) => s.current?.imageRef === 'registry.example/shop/web:1.4.0' && !s.inFlight);
    const audit = await test.pool.query("SELECT details, request_id FROM audit_log WHERE project = $1 AND action = 'deployment.update' AND request_id = $2", [test.project, override]);
    expect(audit.rows[0]?.details).toMatchObject({ override_freeze: true });
    await call(app, 'PUT', `/api/projects/${test.project}/policy`, { token: test.tokens.admin, json: { freeze_windows: [] } });
  });
});
