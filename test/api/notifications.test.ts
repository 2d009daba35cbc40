// The notification routes: subscriptions with a write-only secret, admin scope only, audited; the
// delivery log the deliveries write, newest first; and `deployer notify`, which goes through them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/listen.js';
import { runCli, usage } from '../../src/cli.js';
import { recordDeliveryAttempt } from '../../src/db/notifications.js';
import { freshKeyring } from '../support/test-keyring.js';
import { auditRows, call, registerTestEnvironment, rowCounts, setUpApiTest, type ApiTest } from './support.js';

describe('/api/notifications/subscriptions', () => {
  let test: ApiTest;
  const base = '/api/notifications/subscriptions';
  const secret = 'a-subscription-secret-0123456789';
  const body = (overrides: Record<string, unknown> = {}) => ({
    project: test.project,
    environment: 'prod',
    url: 'https://hooks.slack.example/services/T0/B0/webhook-credential',
    format: 'slack',
    events: ['dev.deployer.release.healthy', 'dev.deployer.release.failed'],
    ...overrides,
  });

  beforeAll(async () => {
    test = await setUpApiTest('notify');
    await registerTestEnvironment(test, test.project, 'prod');
    await registerTestEnvironment(test, test.project, 'staging');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('creates, lists, reads and deletes a subscription, auditing each change without its secret or URL path', async () => {
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: body({ secret }) });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(Number),
      project: test.project,
      environment: 'prod',
      events: ['dev.deployer.release.healthy', 'dev.deployer.release.failed'],
      url: 'https://hooks.slack.example/services/T0/B0/webhook-credential',
      format: 'slack',
      secret_set: true,
      created_by: `${test.prefix}-admin`,
      created_at: expect.any(String),
    });
    const id = created.body.id as number;

    const listed = await call(test.app, 'GET', `${base}?project=${test.project}`, { token: test.tokens.admin });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: number }) => item.id)).toContain(id);
    const read = await call(test.app, 'GET', `${base}/${id}`, { token: test.tokens.admin });
    expect(read.body).toEqual(created.body);
    expect(JSON.stringify([listed.body, read.body])).not.toContain(secret);

    expect((await call(test.app, 'DELETE', `${base}/${id}`, { token: test.tokens.admin })).status).toBe(204);
    expect((await call(test.app, 'GET', `${base}/${id}`, { token: test.tokens.admin })).status).toBe(404);
    expect((await call(test.app, 'DELETE', `${base}/${id}`, { token: test.tokens.admin })).status).toBe(404);

    const audits = (await auditRows(test)).filter((row) => row.details.subscription_id === id);
    expect(audits.map((row) => [row.action, row.outcome])).toEqual([
      ['notification_subscription.create', 'accepted'],
      ['notification_subscription.delete', 'accepted'],
      ['notification_subscription.delete', 'rejected'],
    ]);
    expect(audits[0]!.details).toMatchObject({ project: test.project, environment: 'prod', format: 'slack', secret_set: true, url: 'https://hooks.slack.example/…' });
    expect(JSON.stringify(audits)).not.toContain(secret);
    expect(JSON.stringify(audits)).not.toContain('webhook-credential');
  });

  it('subscribes a whole project, unsigned, and filters the list by project', async () => {
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: body({ environment: undefined, format: 'cloudevents', events: ['*'] }) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ environment: null, events: ['*'], format: 'cloudevents', secret_set: false });
    const other = await call(test.app, 'GET', `${base}?project=${test.otherProject}`, { token: test.tokens.admin });
    expect(other.body.items).toEqual([]);
  });

  it('stores the secret sealed where the server has payload keys', async () => {
    const keyed = test.appWith({ payloadKeys: freshKeyring() });
    const created = await call(keyed, 'POST', base, { token: test.tokens.admin, json: body({ secret }) });
    expect(created.status).toBe(201);
    const { rows } = await test.pool.query<{ secret: string }>('SELECT secret FROM notification_subscriptions WHERE id = $1', [created.body.id]);
    expect(rows[0]!.secret).toMatch(/^sealed:[A-Za-z0-9+/=]+$/);
    expect(rows[0]!.secret).not.toContain(secret);
  });

  it('refuses a project or environment that is not registered, naming the field', async () => {
    const before = await rowCounts(test);
    const noProject = await call(test.app, 'POST', base, { token: test.tokens.admin, json: body({ project: `${test.prefix}-nowhere`, environment: undefined }) });
    expect(noProject.status).toBe(400);
    expect(noProject.body.error.details).toEqual([{ field: 'project', message: expect.stringContaining(`${test.prefix}-nowhere`) }]);
    const noEnvironment = await call(test.app, 'POST', base, { token: test.tokens.admin, json: body({ environment: 'qa' }) });
    expect(noEnvironment.status).toBe(400);
    expect(noEnvironment.body.error.details).toEqual([{ field: 'environment', message: `environment: ${test.project}/qa is not registered` }]);
    expect(await rowCounts(test)).toEqual({ ...before, audit: before.audit + 2 });
  });

  it('refuses read, promote and project-bound tokens with 403, writing nothing but the audit row of each refusal', async () => {
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: body() });
    const promoteOnly = await test.token('promote-only', ['deploy:promote']);
    const before = await rowCounts(test);
    const callers = [test.tokens.reader, test.tokens.promoter, promoteOnly, test.tokens.projectAdmin];
    for (const token of callers) {
      const post = await call(test.app, 'POST', base, { token, json: body() });
      expect(post.status).toBe(403);
      const remove = await call(test.app, 'DELETE', `${base}/${created.body.id}`, { token });
      expect(remove.status).toBe(403);
      for (const path of [base, `${base}/${created.body.id}`, `${base}/${created.body.id}/deliveries`]) {
        expect((await call(test.app, 'GET', path, { token })).status).toBe(403);
      }
    }
    expect(await rowCounts(test)).toEqual({ ...before, audit: before.audit + 2 * callers.length });
    expect((await call(test.app, 'GET', `${base}/${created.body.id}`, { token: test.tokens.admin })).status).toBe(200);
  });

  it('serves the delivery log of one subscription, newest first and bounded', async () => {
    const first = (await call(test.app, 'POST', base, { token: test.tokens.admin, json: body() })).body.id as number;
    const second = (await call(test.app, 'POST', base, { token: test.tokens.admin, json: body({ environment: 'staging' }) })).body.id as number;
    const event = (n: number) => `deploy/${test.project}/prod/build-${n}/dev.deployer.release.healthy`;
    await recordDeliveryAttempt(test.pool, { subscriptionId: first, eventId: event(1), eventType: 'dev.deployer.release.healthy', status: 'pending', httpStatus: 500, error: 'the receiver answered 500' });
    await recordDeliveryAttempt(test.pool, { subscriptionId: first, eventId: event(1), eventType: 'dev.deployer.release.healthy', status: 'delivered', httpStatus: 200, error: null });
    await recordDeliveryAttempt(test.pool, { subscriptionId: first, eventId: event(2), eventType: 'dev.deployer.release.failed', status: 'failed', httpStatus: 400, error: 'the receiver answered 400' });
    await recordDeliveryAttempt(test.pool, { subscriptionId: first, eventId: event(3), eventType: 'dev.deployer.release.healthy', status: 'pending', httpStatus: null, error: 'no answer within 10 s' });
    await recordDeliveryAttempt(test.pool, { subscriptionId: second, eventId: event(4), eventType: 'dev.deployer.release.healthy', status: 'delivered', httpStatus: 204, error: null });

    const all = await call(test.app, 'GET', `${base}/${first}/deliveries`, { token: test.tokens.admin });
    expect(all.status).toBe(200);
    expect(all.body.items.map((item: { event_id: string }) => item.event_id)).toEqual([event(3), event(2), event(1)]);
    expect(all.body.items[2]).toEqual({
      id: expect.any(Number),
      subscription_id: first,
      event_id: event(1),
      event_type: 'dev.deployer.release.healthy',
      status: 'delivered',
      attempts: 2,
      last_http_status: 200,
      last_error: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      delivered_at: expect.any(String),
    });
    expect(all.body.items[0]).toMatchObject({ status: 'pending', attempts: 1, last_http_status: null, last_error: 'no answer within 10 s', delivered_at: null });

    const newest = await call(test.app, 'GET', `${base}/${first}/deliveries?limit=1`, { token: test.tokens.admin });
    expect(newest.body.items.map((item: { event_id: string }) => item.event_id)).toEqual([event(3)]);
    const unknown = await call(test.app, 'GET', `${base}/999999999/deliveries`, { token: test.tokens.admin });
    expect(unknown.status).toBe(404);
  });

  it('keeps a delivered row delivered when a late attempt reports a failure', async () => {
    const id = (await call(test.app, 'POST', base, { token: test.tokens.admin, json: body() })).body.id as number;
    const attempt = { subscriptionId: id, eventId: `${test.prefix}-late`, eventType: 'dev.deployer.release.healthy' };
    await recordDeliveryAttempt(test.pool, { ...attempt, status: 'delivered', httpStatus: 200, error: null });
    const late = await recordDeliveryAttempt(test.pool, { ...attempt, status: 'pending', httpStatus: 503, error: 'the receiver answered 503' });
    expect(late).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: expect.any(Date) });
  });

  it('is administered with `deployer notify` through the API, the secret read from standard input', async () => {
    const server = await startApiServer({ app: test.app, port: 0, host: '127.0.0.1' });
    const home = await mkdtemp(join(tmpdir(), 'deployer-notify-cli-'));
    const api = (token: string) => ({ DEPLOYER_URL: `http://127.0.0.1:${server.port}`, DEPLOYER_TOKEN: token });
    const cli = async (env: Record<string, string>, ...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: { XDG_CONFIG_HOME: home, ...env }, readStdin: async () => `${secret}\n` });
      return { code, out, err };
    };
    const admin = api(test.tokens.admin);
    const add = ['notify', 'add', '--project', test.project, '--env', 'prod', '--url', 'https://hooks.example.com/team/hook-token', '--format', 'cloudevents'];
    try {
      expect(usage()).toContain('deployer notify add --project P [--env E] --url URL --format cloudevents|slack --events TYPE[,TYPE…] [--secret-stdin]');
      expect(usage()).toContain('release.rolled-back');

      const before = await rowCounts(test);
      const ftp = await cli(admin, 'notify', 'add', '--project', test.project, '--url', 'ftp://hooks.example.com/x', '--format', 'slack', '--events', '*');
      expect(ftp.code).toBe(2);
      expect(ftp.err[0]).toMatch(/^deployer: --url uses ftp:, which is not allowed: must be an http:\/\/ or https:\/\/ URL/);
      const unknown = await cli(admin, ...add, '--events', 'release.healthy,release.exploded');
      expect(unknown.code).toBe(2);
      expect(unknown.err[0]).toContain('--events "dev.deployer.release.exploded" is not an event type');
      const promoter = await cli(api(test.tokens.promoter), ...add, '--events', 'release.healthy');
      expect(promoter.code).toBe(1);
      expect(promoter.err.join('\n')).toContain('403');
      const direct = await cli({ DEPLOYER_DIRECT: '1' }, 'notify', 'list');
      expect(direct).toMatchObject({ code: 2, err: [expect.stringContaining('notify goes through the API only')] });
      expect(await rowCounts(test)).toEqual({ ...before, audit: before.audit + 1 });

      const added = await cli(admin, ...add, '--events', 'release.healthy, release.failed', '--secret-stdin');
      expect(added.err).toEqual([]);
      expect(added.out).toEqual([expect.stringMatching(new RegExp(`^subscribed #(\\d+) ${test.project}/prod → https://hooks\\.example\\.com/… \\(cloudevents, signed\\): release\\.healthy, release\\.failed$`))]);
      const id = Number(/#(\d+)/.exec(added.out[0]!)![1]);
      const { rows } = await test.pool.query('SELECT events, secret, created_by FROM notification_subscriptions WHERE id = $1', [id]);
      // This app has no payload keys: the secret is stored as written, without the line break.
      expect(rows[0]).toEqual({ events: ['dev.deployer.release.healthy', 'dev.deployer.release.failed'], secret, created_by: `${test.prefix}-admin` });

      const listed = await cli(admin, 'notify', 'list', '--project', test.project);
      expect(listed.out).toContain(added.out[0]!.replace(/^subscribed /, ''));
      expect(listed.out.join('\n')).not.toContain('hook-token');
      const json = await cli(admin, 'notify', 'list', '--project', test.project, '--json');
      expect(JSON.parse(json.out.join('\n'))).toContainEqual(expect.objectContaining({ id, url: 'https://hooks.example.com/team/hook-token', secret_set: true }));

      expect((await cli(admin, 'notify', 'deliveries', String(id))).out).toEqual([`no deliveries for subscription #${id} yet`]);
      await recordDeliveryAttempt(test.pool, { subscriptionId: id, eventId: 'deploy/x/prod/r-1/dev.deployer.release.healthy', eventType: 'dev.deployer.release.healthy', status: 'delivered', httpStatus: 200, error: null });
      const deliveries = await cli(admin, 'notify', 'deliveries', String(id), '--limit', '5');
      expect(deliveries.out).toEqual([expect.stringMatching(/^\S+Z  delivered 200  1 attempt   release\.healthy\s+deploy\/x\/prod\/r-1\/dev\.deployer\.release\.healthy$/)]);

      expect((await cli(admin, 'notify', 'remove', 'abc')).code).toBe(2);
      expect((await cli(admin, 'notify', 'remove', String(id))).out).toEqual([`removed subscription #${id} and its delivery log`]);
      const again = await cli(admin, 'notify', 'remove', String(id));
      expect(again.code).toBe(1);
      expect(again.err.join('\n')).toContain('404');
    } finally {
      await server.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
