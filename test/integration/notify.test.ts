// The delivery activity on real Postgres against a receiver in this process: what arrives (a signed
// CloudEvent, its idempotency id), what each attempt leaves in the delivery log, and which answers
// are retried. Each attempt Temporal would make is one run in a mock activity context.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities } from '../../activities/notify.js';
import { verifyNotificationSignature } from '../../src/crypto/notification-signature.js';
import { registerEnvironment } from '../../src/db/environments.js';
import { migrate } from '../../src/db/migrate.js';
import { createSubscription, deleteSubscription, findDelivery, type SubscriptionFields } from '../../src/db/notifications.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { cloudEvent, NOTIFICATION_DELIVERY, notificationEventId, type NotificationEvent, type NotificationEventType } from '../../src/domain/notifications.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { freshKeyring } from '../support/test-keyring.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { notifyWorkflow } from './fixtures/notify-workflow.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A webhook receiver answering each request with the next scripted status (200 once the script is spent). */
class Receiver {
  readonly requests: Received[] = [];
  private script: Array<{ status: number; headers?: Record<string, string>; delayMs?: number }> = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const next = this.script.shift() ?? { status: 200 };
        this.requests.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered: next.status });
        setTimeout(() => {
          response.writeHead(next.status, { 'Content-Type': 'application/json', ...next.headers });
          response.end(next.status < 300 ? '{"ok":true}' : `{"error":"scripted ${next.status}"}`);
        }, next.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  answer(...script: Array<number | { status: number; headers?: Record<string, string>; delayMs?: number }>): void {
    this.script = script.map((entry) => (typeof entry === 'number' ? { status: entry } : entry));
  }

  reset(): void {
    this.requests.length = 0;
    this.script = [];
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('deliverNotification', () => {
  const project = `notify-${uniqueSuffix()}`;
  const pool = () => getPool(testEnv.databaseUrl);
  const keys = freshKeyring();
  const secret = 'a-subscription-secret-0123456789';
  const receiver = new Receiver();
  const activities = () => createNotifyActivities({ pool: pool(), payloadKeys: keys });
  let sequence = 0;

  const event = (type: NotificationEventType = 'dev.deployer.release.healthy', overrides: Partial<NotificationEvent> = {}): NotificationEvent => {
    const requestId = `build-${++sequence}`;
    return {
      id: notificationEventId(`deploy/${project}/prod`, requestId, type),
      type,
      project,
      environment: 'prod',
      time: '2026-12-06T10:00:00.000Z',
      requestId,
      releaseSeq: sequence,
      imageRef: `registry.example/${project}/web:1.${sequence}.0`,
      opsSha: 'a'.repeat(40),
      actor: 'ci',
      ...overrides,
    };
  };
  const subscribe = async (overrides: Partial<SubscriptionFields> = {}) =>
    createSubscription(
      pool(),
      { project, environment: 'prod', events: ['*'], url: `${receiver.url}/hooks/secret-path-token`, format: 'cloudevents', secret, createdBy: 'test', ...overrides },
      keys,
    );
  /** One attempt, as Temporal's `attempt`-th. */
  const attempt = (n: number, input: Parameters<ReturnType<typeof activities>['deliverNotification']>[0], run = activities()) =>
    new MockActivityEnvironment({ attempt: n }).run(run.deliverNotification, input);

  beforeAll(async () => {
    await migrate(pool());
    await registerEnvironment(pool(), {
      project,
      environment: 'prod',
      opsRepo: { name: `${project}-ops`, url: 'https://git.example/ops.git', branch: 'main', path: '.' },
      manifestPath: 'app.yaml.njk',
      namespace: `${project}-prod`,
      policy: {},
      valuesOverride: {},
    });
    await receiver.start();
  });
  afterEach(() => receiver.reset());
  afterAll(async () => {
    await receiver.stop();
    await closePools();
  });

  it('POSTs a signed CloudEvent with its idempotency id, logs it delivered, and does not send it again', async () => {
    const subscription = await subscribe();
    const healthy = event();
    const result = await attempt(1, { subscriptionId: subscription.id, event: healthy });
    expect(result).toEqual({ status: 'delivered', attempts: 1, httpStatus: 200 });

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.path).toBe('/hooks/secret-path-token');
    expect(request!.headers).toMatchObject({
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'idempotency-key': healthy.id,
      'x-deployer-event': 'dev.deployer.release.healthy',
      'x-deployer-timestamp': expect.stringMatching(/^\d{10}$/),
      'x-deployer-signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
    });
    const signed = { signature: request!.headers['x-deployer-signature'] as string, timestamp: request!.headers['x-deployer-timestamp'] as string };
    expect(verifyNotificationSignature(secret, signed, request!.body)).toBe(true);
    expect(verifyNotificationSignature('another-secret-0123456789', signed, request!.body)).toBe(false);
    const body = JSON.parse(request!.body);
    expect(body).toEqual(cloudEvent(healthy));
    expect(body).toMatchObject({ specversion: '1.0', id: healthy.id, source: `/deployer/projects/${project}/environments/prod`, type: 'dev.deployer.release.healthy', subject: `releases/${healthy.releaseSeq}` });

    // A repeated call (a retried activity whose completion was lost) finds it delivered.
    expect(await attempt(2, { subscriptionId: subscription.id, event: healthy })).toEqual({ status: 'delivered', attempts: 1, httpStatus: 200 });
    expect(receiver.requests).toHaveLength(1);
    expect(await findDelivery(pool(), subscription.id, healthy.id)).toMatchObject({ status: 'delivered', attempts: 1, lastHttpStatus: 200, lastError: null, deliveredAt: expect.any(Date) });
  });

  it('fails retryably while the receiver answers 500, logging each attempt, then delivers once', async () => {
    const subscription = await subscribe();
    const failed = event('dev.deployer.release.failed', { error: 'Deployment web: ProgressDeadlineExceeded' });
    receiver.answer(500, 500);
    for (const n of [1, 2]) {
      await expect(attempt(n, { subscriptionId: subscription.id, event: failed })).rejects.toMatchObject({
        type: 'NotificationReceiverUnavailable',
        nonRetryable: false,
        message: expect.stringContaining('the receiver answered 500'),
      });
      expect(await findDelivery(pool(), subscription.id, failed.id)).toMatchObject({ status: 'pending', attempts: n, lastHttpStatus: 500, lastError: expect.stringContaining('scripted 500') });
    }
    expect(await attempt(3, { subscriptionId: subscription.id, event: failed })).toEqual({ status: 'delivered', attempts: 3, httpStatus: 200 });
    expect(await findDelivery(pool(), subscription.id, failed.id)).toMatchObject({ status: 'delivered', attempts: 3, lastHttpStatus: 200, lastError: null });

    // The same event each time: one id, one body, each attempt signed afresh; accepted exactly once.
    expect(receiver.requests.map((request) => request.answered)).toEqual([500, 500, 200]);
    expect(new Set(receiver.requests.map((request) => request.headers['idempotency-key']))).toEqual(new Set([failed.id]));
    expect(new Set(receiver.requests.map((request) => request.body)).size).toBe(1);
    for (const request of receiver.requests) {
      expect(verifyNotificationSignature(secret, { signature: request.headers['x-deployer-signature'] as string, timestamp: request.headers['x-deployer-timestamp'] as string }, request.body)).toBe(true);
    }
  });

  it('takes a 400 as final: not retried, logged failed, the error naming neither the secret nor the URL path', async () => {
    const subscription = await subscribe();
    const started = event('dev.deployer.release.started');
    receiver.answer(400);
    const failure = (await attempt(1, { subscriptionId: subscription.id, event: started }).then(() => undefined, (error: unknown) => error)) as Error & { type: string; nonRetryable: boolean };
    expect(failure).toMatchObject({ type: 'NotificationUndelivered', nonRetryable: true, message: expect.stringContaining('the receiver answered 400') });
    expect(failure.message).toContain(`${receiver.url}/…`);
    expect(failure.message).not.toContain('secret-path-token');
    expect(failure.message).not.toContain(secret);
    const logged = await findDelivery(pool(), subscription.id, started.id);
    expect(logged).toMatchObject({ status: 'failed', attempts: 1, lastHttpStatus: 400 });
    expect(logged!.lastError).not.toContain('secret-path-token');
  });

  it('retries 408 and 429, waiting as long as Retry-After asks', async () => {
    const subscription = await subscribe();
    const accepted = event('dev.deployer.request.accepted');
    receiver.answer(408, { status: 429, headers: { 'Retry-After': '7' } });
    await expect(attempt(1, { subscriptionId: subscription.id, event: accepted })).rejects.toMatchObject({ nonRetryable: false });
    await expect(attempt(2, { subscriptionId: subscription.id, event: accepted })).rejects.toMatchObject({ nonRetryable: false, nextRetryDelay: 7_000 });
    expect(await attempt(3, { subscriptionId: subscription.id, event: accepted })).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('counts a receiver that is down or too slow as unavailable, and gives up on the last attempt the policy allows', async () => {
    const down = await subscribe({ url: `http://127.0.0.1:${await closedPort()}/hook` });
    const cancelled = event('dev.deployer.release.cancelled');
    await expect(attempt(1, { subscriptionId: down.id, event: cancelled })).rejects.toMatchObject({
      type: 'NotificationReceiverUnavailable',
      nonRetryable: false,
      message: expect.stringContaining('could not reach the receiver: ECONNREFUSED'),
    });
    expect(await findDelivery(pool(), down.id, cancelled.id)).toMatchObject({ status: 'pending', lastHttpStatus: null });

    const slow = await subscribe();
    const drift = event('dev.deployer.drift.corrected');
    receiver.answer({ status: 200, delayMs: 2_000 });
    const impatient = createNotifyActivities({ pool: pool(), payloadKeys: keys, requestTimeoutMs: 300 });
    await expect(attempt(1, { subscriptionId: slow.id, event: drift }, impatient)).rejects.toMatchObject({ nonRetryable: false, message: expect.stringContaining('no answer within 0.3 s') });

    receiver.answer(503);
    await expect(attempt(NOTIFICATION_DELIVERY.maximumAttempts, { subscriptionId: slow.id, event: drift })).rejects.toMatchObject({
      type: 'NotificationUndelivered',
      nonRetryable: true,
      message: expect.stringContaining(`gave up after ${NOTIFICATION_DELIVERY.maximumAttempts} attempts`),
    });
    expect(await findDelivery(pool(), slow.id, drift.id)).toMatchObject({ status: 'failed', attempts: 2, lastHttpStatus: 503 });
  });

  it('sends a Slack message unsigned when the subscription has no secret, and skips what it does not want', async () => {
    const slack = await subscribe({ format: 'slack', secret: null, events: ['dev.deployer.release.healthy'] });
    const healthy = event();
    expect(await attempt(1, { subscriptionId: slack.id, event: healthy })).toMatchObject({ status: 'delivered' });
    const [request] = receiver.requests;
    expect(request!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request!.headers).not.toHaveProperty('x-deployer-signature');
    expect(JSON.parse(request!.body)).toMatchObject({ text: expect.stringContaining(`${project}/prod release #${healthy.releaseSeq} is healthy`), blocks: expect.any(Array) });

    // Another event type, another environment, a deleted subscription: nothing sent, nothing logged.
    expect(await attempt(1, { subscriptionId: slack.id, event: event('dev.deployer.release.failed') })).toEqual({ status: 'skipped', attempts: 0 });
    expect(await attempt(1, { subscriptionId: slack.id, event: { ...event(), environment: 'staging' } })).toEqual({ status: 'skipped', attempts: 0 });
    await deleteSubscription(pool(), slack.id);
    const orphan = event();
    expect(await attempt(1, { subscriptionId: slack.id, event: orphan })).toEqual({ status: 'skipped', attempts: 0 });
    expect(receiver.requests).toHaveLength(1);
    expect(await findDelivery(pool(), slack.id, orphan.id)).toBeUndefined();
  });

  it('fails for good when the secret is sealed and the worker has no keys that open it, sending nothing', async () => {
    const subscription = await subscribe();
    const healthy = event();
    const keyless = createNotifyActivities({ pool: pool() });
    await expect(attempt(1, { subscriptionId: subscription.id, event: healthy }, keyless)).rejects.toMatchObject({
      type: 'NotificationSecretUnavailable',
      nonRetryable: true,
      message: expect.stringContaining('DEPLOYER_PAYLOAD_KEYS'),
    });
    expect(receiver.requests).toEqual([]);
    expect(await findDelivery(pool(), subscription.id, healthy.id)).toMatchObject({ status: 'failed', attempts: 1, lastHttpStatus: null });
  });

  it("lists an event's subscribers: the environment's and the whole project's that want its type", async () => {
    const other = `${project}-x`;
    const all = await subscribe({ environment: null, events: ['*'] });
    const prod = await subscribe({ events: ['dev.deployer.approval.requested'] });
    await subscribe({ events: ['dev.deployer.release.healthy'] });
    const { subscriptionIds } = await activities().listNotificationSubscribers({ project, environment: 'prod', type: 'dev.deployer.approval.requested' });
    expect(subscriptionIds).toEqual(expect.arrayContaining([all.id, prod.id]));
    expect(subscriptionIds).toEqual([...subscriptionIds].sort((a, b) => a - b));
    const { subscriptionIds: forStaging } = await activities().listNotificationSubscribers({ project, environment: 'staging', type: 'dev.deployer.approval.requested' });
    expect(forStaging).toContain(all.id);
    expect(forStaging).not.toContain(prod.id);
    expect((await activities().listNotificationSubscribers({ project: other, environment: 'prod', type: 'dev.deployer.approval.requested' })).subscriptionIds).toEqual([]);
  });

  it('through a real worker: each CloudEvent reaches the receiver signed and accepted exactly once, even after two 500s', async () => {
    installQuietRuntime();
    // A project of its own: the subscriptions above, some to every environment, hear nothing of it.
    const own = `${project}-w`;
    await registerEnvironment(pool(), {
      project: own,
      environment: 'prod',
      opsRepo: { name: `${project}-ops`, url: 'https://git.example/ops.git', branch: 'main', path: '.' },
      manifestPath: 'app.yaml.njk',
      namespace: `${own}-prod`,
    });
    const subscription = await subscribe({ project: own, events: ['dev.deployer.release.started', 'dev.deployer.release.healthy'] });
    const events = [
      event('dev.deployer.release.started', { project: own }),
      event('dev.deployer.release.healthy', { project: own }),
      event('dev.deployer.release.failed', { project: own }), // not subscribed: never sent
    ];
    receiver.answer(500, 500);

    const taskQueue = `notify-${uniqueSuffix()}`;
    const connection = await Connection.connect({ address: testEnv.temporalAddress });
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: testEnv.temporalAddress }),
      namespace: testEnv.temporalNamespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/notify-workflow.ts', import.meta.url)),
      activities: createNotifyActivities({ pool: pool(), payloadKeys: keys }),
    });
    try {
      const client = new Client({ connection, namespace: testEnv.temporalNamespace });
      const results = await worker.runUntil(client.workflow.execute(notifyWorkflow, { taskQueue, workflowId: `notify-${uniqueSuffix()}`, args: [events] }));
      expect(results).toEqual([
        { status: 'delivered', attempts: 3, httpStatus: 200 },
        { status: 'delivered', attempts: 1, httpStatus: 200 },
      ]);
    } finally {
      await connection.close();
    }

    expect(receiver.requests.map((request) => [request.headers['idempotency-key'], request.answered])).toEqual([
      [events[0]!.id, 500],
      [events[0]!.id, 500],
      [events[0]!.id, 200],
      [events[1]!.id, 200],
    ]);
    for (const request of receiver.requests) {
      const signed = { signature: request.headers['x-deployer-signature'] as string, timestamp: request.headers['x-deployer-timestamp'] as string };
      expect(verifyNotificationSignature(secret, signed, request.body)).toBe(true);
      expect(JSON.parse(request.body)).toEqual(cloudEvent(events.find((candidate) => candidate.id === request.headers['idempotency-key'])!));
    }
    expect(await findDelivery(pool(), subscription.id, events[0]!.id)).toMatchObject({ status: 'delivered', attempts: 3, lastHttpStatus: 200 });
    expect(await findDelivery(pool(), subscription.id, events[2]!.id)).toBeUndefined();
  });
});
