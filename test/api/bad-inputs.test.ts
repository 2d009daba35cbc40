// A catalogue of bad requests. Each must be answered with a 4xx JSON error that names what was
// wrong, leave every table as it was (bar the audit row of a refused mutation) and signal no
// workflow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { auditRows, call, registerTestEnvironment, rowCounts, setUpApiTest, workflowExists, type ApiTest, type CallOptions } from './support.js';

interface BadInput {
  name: string;
  method: string;
  /** relative to /api/projects/<project> unless it starts with /api/ */
  path: string;
  request?: CallOptions;
  status: number;
  /** the field the error names, in details and in the message */
  field: string;
  /** served by an app that refuses file:// URLs */
  strict?: boolean;
}

const image = (imageRef: unknown) => ({ json: { image_ref: imageRef } });
const environment = (overrides: Record<string, unknown>) => ({
  json: { ops_repo: 'PREFIX-ops', manifest_path: 'app.yaml.njk', namespace: 'fresh-ns', ...overrides },
});
const opsRepo = (overrides: Record<string, unknown>) => ({ json: { name: 'PREFIX-bad', url: 'https://git.example.com/x.git', ...overrides } });
const subscribe = (overrides: Record<string, unknown>) => ({
  json: { project: 'PREFIX-shop', url: 'https://hooks.example.com/deployer', format: 'cloudevents', events: ['dev.deployer.release.healthy'], ...overrides },
});
const subscriptions = '/api/notifications/subscriptions';
const freeze = { name: 'weekend', cron: '0 18 * * FRI', duration: '62h', time_zone: 'Europe/Berlin' };

/** `{"a":{"a":…1…}}` as text, `depth` objects deep: built as a string, since a deep object overflows JSON.stringify. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const rawJson = (body: string) => ({ body, headers: { 'Content-Type': 'application/json' } });

const catalogue: BadInput[] = [
  { name: 'values override nested 8,000 deep', method: 'PATCH', path: '/deployments/target', request: rawJson(`{"image_ref":"web:1","values_override":${nested(8_000)}}`), status: 400, field: 'values_override' },
  { name: 'values override nested 33 deep', method: 'PATCH', path: '/deployments/target', request: rawJson(`{"image_ref":"web:1","values_override":${nested(33)}}`), status: 400, field: 'values_override' },
  { name: 'environment values override nested 8,000 deep', method: 'PUT', path: '/environments/fresh', request: rawJson(`{"ops_repo":"PREFIX-ops","manifest_path":"app.yaml.njk","namespace":"fresh-ns","values_override":${nested(8_000)}}`), status: 400, field: 'values_override' },
  { name: 'image ref with a space', method: 'PATCH', path: '/deployments/target', request: image('web: 1.0'), status: 400, field: 'image_ref' },
  { name: 'image ref with an upper-case registry', method: 'PATCH', path: '/deployments/target', request: image('Registry.Example.com/web:1'), status: 400, field: 'image_ref' },
  { name: 'image ref with an upper-case repository', method: 'PATCH', path: '/deployments/target', request: image('team/Web:1'), status: 400, field: 'image_ref' },
  { name: 'image ref longer than 255 characters', method: 'PATCH', path: '/deployments/target', request: image(`web:${'1'.repeat(252)}`), status: 400, field: 'image_ref' },
  { name: 'image ref with a short digest', method: 'PATCH', path: '/deployments/target', request: image('web@sha256:abc123'), status: 400, field: 'image_ref' },
  { name: 'image ref with a bad registry port', method: 'PATCH', path: '/deployments/target', request: image('registry.example.com:http/web:1'), status: 400, field: 'image_ref' },
  { name: 'image ref that is a number', method: 'PATCH', path: '/deployments/target', request: image(42), status: 400, field: 'image_ref' },
  { name: 'image ref that is a shell expansion', method: 'PATCH', path: '/deployments/target', request: image('$(id)'), status: 400, field: 'image_ref' },
  { name: 'image ref with a line break', method: 'PATCH', path: '/deployments/target', request: image('web:1\nkind: Secret'), status: 400, field: 'image_ref' },
  { name: 'unknown field in a deploy', method: 'PATCH', path: '/deployments/target', request: { json: { image_ref: 'web:1', imageRef: 'web:1' } }, status: 400, field: 'imageRef' },
  { name: 'empty patch', method: 'PATCH', path: '/deployments/target', request: { json: {} }, status: 400, field: 'image_ref' },
  { name: 'unknown desired status', method: 'PATCH', path: '/deployments/target', request: { json: { desired_status: 'paused' } }, status: 400, field: 'desired_status' },
  { name: 'stop combined with an image', method: 'PATCH', path: '/deployments/target', request: { json: { desired_status: 'stopped', image_ref: 'web:1' } }, status: 400, field: 'desired_status' },
  { name: 'values override that is an array', method: 'PATCH', path: '/deployments/target', request: { json: { image_ref: 'web:1', values_override: [1, 2] } }, status: 400, field: 'values_override' },
  { name: 'empty reason', method: 'PATCH', path: '/deployments/target', request: { json: { image_ref: 'web:1', reason: '' } }, status: 400, field: 'reason' },
  { name: 'reason with a line break', method: 'PATCH', path: '/deployments/target', request: { json: { image_ref: 'web:1', reason: 'ok\nforged: line' } }, status: 400, field: 'reason' },
  { name: 'malformed JSON', method: 'PATCH', path: '/deployments/target', request: { body: '{"image_ref": ', headers: { 'Content-Type': 'application/json' } }, status: 400, field: 'body' },
  { name: 'a JSON array as body', method: 'PATCH', path: '/deployments/target', request: { json: ['web:1'] }, status: 400, field: 'body' },
  { name: 'a body that is not JSON', method: 'PATCH', path: '/deployments/target', request: { body: 'image_ref=web:1', headers: { 'Content-Type': 'text/plain' } }, status: 415, field: 'Content-Type' },
  { name: 'a body over 64 KiB', method: 'PATCH', path: '/deployments/target', request: { json: { image_ref: 'web:1', values_override: { blob: 'x'.repeat(70_000) } } }, status: 413, field: 'body' },
  { name: 'an Idempotency-Key with spaces', method: 'PATCH', path: '/deployments/target', request: { ...image('web:1'), headers: { 'Idempotency-Key': 'not a key' } }, status: 400, field: 'Idempotency-Key' },
  { name: 'a project that is not a slug', method: 'PATCH', path: '/api/projects/Shop_1/deployments/target', request: image('web:1'), status: 400, field: 'project' },
  { name: 'an environment that is not a slug', method: 'POST', path: '/deployments/prod./stop', status: 400, field: 'env' },
  { name: 'deploy to an unregistered environment', method: 'PATCH', path: '/deployments/ghost', request: image('web:1'), status: 404, field: 'ghost' },
  { name: 'rollback of an unregistered environment', method: 'POST', path: '/deployments/ghost/rollback', status: 404, field: 'ghost' },
  { name: 'negative release to roll back to', method: 'POST', path: '/deployments/target/rollback', request: { json: { to_release: -1 } }, status: 400, field: 'to_release' },
  { name: 'fractional release to roll back to', method: 'POST', path: '/deployments/target/rollback', request: { json: { to_release: 1.5 } }, status: 400, field: 'to_release' },
  { name: 'release number given as a string', method: 'POST', path: '/deployments/target/rollback', request: { json: { to_release: '3' } }, status: 400, field: 'to_release' },
  { name: 'unknown field in a stop', method: 'POST', path: '/deployments/target/stop', request: { json: { force: true } }, status: 400, field: 'force' },
  { name: 'unknown field in a cancel', method: 'POST', path: '/deployments/target/cancel', request: { json: { reason: 'x', now: true } }, status: 400, field: 'now' },
  { name: 'history limit 0', method: 'GET', path: '/deployments/target/history?limit=0', status: 400, field: 'limit' },
  { name: 'history limit 101', method: 'GET', path: '/deployments/target/history?limit=101', status: 400, field: 'limit' },
  { name: 'history limit that is not a number', method: 'GET', path: '/deployments/target/history?limit=ten', status: 400, field: 'limit' },
  { name: 'negative history cursor', method: 'GET', path: '/deployments/target/history?before=-5', status: 400, field: 'before' },
  { name: 'unknown history parameter', method: 'GET', path: '/deployments/target/history?page=2', status: 400, field: 'page' },
  { name: 'history of an unregistered environment', method: 'GET', path: '/deployments/ghost/history', status: 404, field: 'ghost' },
  { name: 'manifest path escaping the repo', method: 'PUT', path: '/environments/fresh', request: environment({ manifest_path: '../../etc/passwd' }), status: 400, field: 'manifest_path' },
  { name: 'absolute manifest path', method: 'PUT', path: '/environments/fresh', request: environment({ manifest_path: '/etc/passwd' }), status: 400, field: 'manifest_path' },
  { name: 'namespace that is not a DNS label', method: 'PUT', path: '/environments/fresh', request: environment({ namespace: 'Bad_NS' }), status: 400, field: 'namespace' },
  { name: 'missing namespace', method: 'PUT', path: '/environments/fresh', request: environment({ namespace: undefined }), status: 400, field: 'namespace' },
  { name: 'negative minimum interval', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { min_interval_ms: -1 } }), status: 400, field: 'policy.min_interval_ms' },
  { name: 'zero drift interval', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { drift_interval_ms: 0 } }), status: 400, field: 'policy.drift_interval_ms' },
  { name: 'fractional health timeout', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { health_timeout_ms: 1500.5 } }), status: 400, field: 'policy.health_timeout_ms' },
  { name: 'policy flag that is a string', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { auto_rollback: 'yes' } }), status: 400, field: 'policy.auto_rollback' },
  { name: 'unknown policy setting', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { minIntervalMs: 5 } }), status: 400, field: 'policy.minIntervalMs' },
  { name: 'freeze window with an hour 25', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [{ ...freeze, cron: '0 25 * * *' }] } }), status: 400, field: 'policy.freeze_windows[0].cron' },
  { name: 'freeze window on an unknown time zone', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [{ ...freeze, time_zone: 'Mars/Olympus' }] } }), status: 400, field: 'policy.freeze_windows[0].time_zone' },
  { name: 'freeze window without a time zone', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [{ ...freeze, time_zone: undefined }] } }), status: 400, field: 'policy.freeze_windows[0].time_zone' },
  { name: 'freeze window of 40 days', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [{ ...freeze, duration: '40d' }] } }), status: 400, field: 'policy.freeze_windows[0].duration' },
  { name: 'two freeze windows of one name', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [freeze, freeze] } }), status: 400, field: 'policy.freeze_windows[1].name' },
  { name: 'freeze range that ends before it starts', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [{ name: 'x', from: '2026-12-24T00:00Z', until: '2026-12-23T00:00Z' }] } }), status: 400, field: 'policy.freeze_windows[0].until' },
  { name: 'unknown field in a freeze window', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: [{ ...freeze, timezone: 'UTC' }] } }), status: 400, field: 'policy.freeze_windows[0].timezone' },
  { name: 'approval expiry that is not a duration', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { approval: { required: true, expires_after: 'tomorrow' } } }), status: 400, field: 'policy.approval.expires_after' },
  { name: 'approval expiry beyond 30 days', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { approval: { required: true, expires_after: '31d' } } }), status: 400, field: 'policy.approval.expires_after' },
  { name: 'approval without an expiry', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { approval: { required: true } } }), status: 400, field: 'policy.approval.expires_after' },
  { name: 'approvers other than deploy:approve', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { approval: { required: true, expires_after: '24h', approvers: 'deploy:promote' } } }), status: 400, field: 'policy.approval.approvers' },
  { name: 'approval of a request id with a space', method: 'POST', path: '/deployments/target/approve', request: { json: { request_id: 'build 7' } }, status: 400, field: 'request_id' },
  { name: 'approval of a 10,000-character request id', method: 'POST', path: '/deployments/target/approve', request: { json: { request_id: 'a'.repeat(10_000) } }, status: 400, field: 'request_id' },
  { name: 'rejection whose reason spans lines', method: 'POST', path: '/deployments/target/reject', request: { json: { request_id: 'build-7', reason: 'no\nway' } }, status: 400, field: 'reason' },
  { name: 'approval without a request id', method: 'POST', path: '/deployments/target/approve', request: { json: { reason: 'ok' } }, status: 400, field: 'request_id' },
  { name: 'freeze override without a reason', method: 'PATCH', path: '/deployments/target', request: { json: { image_ref: 'web:1', override_freeze: true } }, status: 400, field: 'reason' },
  { name: '21 freeze windows', method: 'PUT', path: '/environments/fresh', request: environment({ policy: { freeze_windows: Array.from({ length: 21 }, (_, i) => ({ ...freeze, name: `w${i}` })) } }), status: 400, field: 'policy.freeze_windows' },
  { name: 'project freeze window with a bad cron', method: 'PUT', path: '/policy', request: { json: { freeze_windows: [{ ...freeze, cron: 'every friday' }] } }, status: 400, field: 'freeze_windows[0].cron' },
  { name: 'unknown ops repo (in a new project)', method: 'PUT', path: '/api/projects/PREFIX-newproj/environments/fresh', request: environment({ ops_repo: 'PREFIX-missing' }), status: 400, field: 'ops_repo' },
  { name: 'ext:: ops repo URL', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ url: 'ext::sh -c touch% /tmp/pwned' }), status: 400, field: 'url' },
  { name: 'file:// ops repo URL where not allowed', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ url: 'file:///srv/ops' }), status: 400, field: 'url', strict: true },
  { name: 'ops repo URL with a password', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ url: 'https://user:secret@git.example.com/x.git' }), status: 400, field: 'url' },
  { name: 'ops repo URL with a token as user name', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ url: 'https://ghp_t0ken@git.example.com/x.git' }), status: 400, field: 'url' },
  { name: 'ops repo URL with a query', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ url: 'https://git.example.com/x.git?private_token=s3cret' }), status: 400, field: 'url' },
  { name: 'ops repo URL with a fragment', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ url: 'https://git.example.com/x.git#main' }), status: 400, field: 'url' },
  { name: 'branch that git would read as an option', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ branch: '--upload-pack=evil' }), status: 400, field: 'branch' },
  { name: 'branch with ".."', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ branch: 'a..b' }), status: 400, field: 'branch' },
  { name: 'ops repo path escaping the repo', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ path: 'envs/../../up' }), status: 400, field: 'path' },
  { name: 'ops repo name that is not a slug', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ name: 'Bad Name' }), status: 400, field: 'name' },
  { name: 'zero sync interval', method: 'POST', path: '/api/admin/ops-repos', request: opsRepo({ sync_interval_s: 0 }), status: 400, field: 'sync_interval_s' },
  { name: 'empty ops repo update', method: 'PATCH', path: '/api/admin/ops-repos/OPSREPO', request: { json: {} }, status: 400, field: 'body' },
  { name: 'ops repo id that is not a number', method: 'PATCH', path: '/api/admin/ops-repos/abc', request: { json: { branch: 'main' } }, status: 400, field: 'id' },
  { name: 'sync of an unknown ops repo', method: 'POST', path: '/api/admin/ops-repos/999999999/sync', status: 404, field: '999999999' },
  { name: 'request id with spaces in the long poll', method: 'GET', path: '/deployments/target/requests/not%20an%20id', status: 400, field: 'request_id' },
  { name: 'request id walking up the path', method: 'GET', path: '/deployments/target/requests/..%2F..%2Fmetrics', status: 400, field: 'request_id' },
  { name: 'long poll past its 60 s bound', method: 'GET', path: '/deployments/target/requests/build-1?wait_s=3600', status: 400, field: 'wait_s' },
  { name: 'negative long poll', method: 'GET', path: '/deployments/target/requests/build-1?wait_s=-1', status: 400, field: 'wait_s' },
  { name: 'notification URL that is not http(s)', method: 'POST', path: subscriptions, request: subscribe({ url: 'mailto:ops@example.com' }), status: 400, field: 'url' },
  { name: 'ftp:// notification URL', method: 'POST', path: subscriptions, request: subscribe({ url: 'ftp://hooks.example.com/deployer' }), status: 400, field: 'url' },
  { name: 'notification URL with credentials', method: 'POST', path: subscriptions, request: subscribe({ url: 'https://ops:s3cret@hooks.example.com/deployer' }), status: 400, field: 'url' },
  { name: 'notification URL without a host', method: 'POST', path: subscriptions, request: subscribe({ url: 'https:///deployer' }), status: 400, field: 'url' },
  { name: 'unknown notification event', method: 'POST', path: subscriptions, request: subscribe({ events: ['dev.deployer.release.exploded'] }), status: 400, field: 'events' },
  { name: 'empty list of notification events', method: 'POST', path: subscriptions, request: subscribe({ events: [] }), status: 400, field: 'events' },
  { name: 'unknown notification format', method: 'POST', path: subscriptions, request: subscribe({ format: 'xml' }), status: 400, field: 'format' },
  { name: 'subscription without a project', method: 'POST', path: subscriptions, request: subscribe({ project: undefined }), status: 400, field: 'project' },
  { name: 'subscription to an unregistered project', method: 'POST', path: subscriptions, request: subscribe({ project: 'PREFIX-nowhere' }), status: 400, field: 'project' },
  { name: 'subscription to an unregistered environment', method: 'POST', path: subscriptions, request: subscribe({ environment: 'ghost' }), status: 400, field: 'environment' },
  { name: 'notification secret too short', method: 'POST', path: subscriptions, request: subscribe({ secret: 'short' }), status: 400, field: 'secret' },
  { name: 'unknown field in a subscription', method: 'POST', path: subscriptions, request: subscribe({ headers: { 'X-Evil': '1' } }), status: 400, field: 'headers' },
  { name: 'subscription id that is not a number', method: 'DELETE', path: `${subscriptions}/abc`, status: 400, field: 'id' },
  { name: 'delivery log limit 0', method: 'GET', path: `${subscriptions}/1/deliveries?limit=0`, status: 400, field: 'limit' },
  { name: 'delivery log of an unknown subscription', method: 'GET', path: `${subscriptions}/999999999/deliveries`, status: 404, field: '999999999' },
];

describe('bad inputs', () => {
  let test: ApiTest;
  let opsRepoId: number;
  const watched = () => ['target', 'ghost', 'fresh'].map((env) => environmentWorkflowId(test.project, env));

  beforeAll(async () => {
    test = await setUpApiTest('bad');
    await registerTestEnvironment(test, test.project, 'target');
    const { rows } = await test.pool.query<{ id: string }>('SELECT id FROM ops_repos WHERE name = $1', [`${test.prefix}-ops`]);
    opsRepoId = Number(rows[0]!.id);
    for (const id of watched()) test.started.add(id);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('has at least 25 cases', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(25);
  });

  it.each(catalogue)('$name ⇒ $status naming $field, nothing written, nothing signalled', async (bad) => {
    const fill = (text: string) => text.replaceAll('PREFIX', test.prefix).replaceAll('OPSREPO', String(opsRepoId));
    const path = fill(bad.path.startsWith('/api/') ? bad.path : `/api/projects/${test.project}${bad.path}`);
    const request: CallOptions = { ...bad.request, token: test.tokens.admin };
    if (request.json !== undefined) request.json = JSON.parse(fill(JSON.stringify(request.json)));
    if (typeof request.body === 'string') request.body = fill(request.body);
    const app = bad.strict ? test.appWith({ allowFileUrls: false }) : test.app;
    const mutation = bad.method !== 'GET';
    const before = await rowCounts(test);

    const response = await call(app, bad.method, path, request);

    expect(response.status).toBe(bad.status);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.body.error).toMatchObject({ code: expect.any(String), message: expect.stringContaining(bad.field) });
    if (bad.status === 400) {
      expect(response.body.error.details).toContainEqual({ field: bad.field, message: expect.stringContaining(bad.field) });
    }
    expect(await rowCounts(test)).toEqual({ ...before, audit: before.audit + (mutation ? 1 : 0) });
    for (const id of watched()) expect(await workflowExists(test.client, id)).toBe(false);

    if (mutation) {
      const audit = (await auditRows(test)).at(-1)!;
      expect(audit).toMatchObject({ actor: `${test.prefix}-admin`, outcome: 'rejected', details: { status: bad.status, path } });
      const projectInPath = /^\/api\/projects\/([^/]+)/.exec(path)?.[1];
      expect(audit.project).toBe(projectInPath === 'Shop_1' ? null : (projectInPath ?? null));
    }
  });
});
