// A release preview end to end, on the real stack: through the API (and `deployer diff`) to a real
// worker that renders the ops repo and dry-runs the apply against the API server. It must show the
// Deployment alone as configured, with the one field that changes, prune nothing and change
// nothing; and refuse what a deploy would refuse, naming why. The release of that image then
// records on its history row what its apply did — what the preview said — shown by the history
// API and `deployer history --diff`, while the workflow's own history carries no diff.
import * as k8s from '@kubernetes/client-node';
import { defaultPayloadConverter } from '@temporalio/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { call, cliThroughApi, createLocalGitRepo, git, setUpApiTest, type ApiTest } from './support.js';

const TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  mode: {{ values.mode }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: {{ image_ref }}
`;

describe('release preview', () => {
  let test: ApiTest;
  let worker: RealWorker;
  let app: ApiTest['app'];
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  let scratch: string;
  let repoDir: string;
  const env = 'prod';
  let namespace: string;
  let base: string;

  beforeAll(async () => {
    test = await setUpApiTest('preview');
    scratch = await mkdtemp(join(tmpdir(), 'api-preview-'));
    repoDir = join(scratch, 'ops');
    const url = await createLocalGitRepo(repoDir);
    await writeFile(join(repoDir, 'values.yaml'), 'mode: plain\n');
    await writeFile(join(repoDir, 'app.yaml.njk'), TEMPLATE);
    await writeFile(join(repoDir, 'broken.yaml.njk'), `${TEMPLATE}{% if %}\n`);
    git(repoDir, 'add', '.');
    git(repoDir, 'commit', '--quiet', '-m', 'web');
    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const taskQueue = `${test.taskQueue}-worker`;
    worker = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig, repoCacheDir: join(scratch, 'cache') });
    app = test.appWith({ taskQueue });
    namespace = `${test.project}-${env}`.slice(0, 63).replace(/-+$/, '');
    base = `/api/projects/${test.project}/deployments/${env}`;
    expect((await call(app, 'POST', '/api/admin/ops-repos', { token: test.tokens.admin, json: { name: `${test.prefix}-ops`, url } })).status).toBe(201);
    const registered = await call(app, 'PUT', `/api/projects/${test.project}/environments/${env}`, {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace, policy: { min_interval_ms: 0 } },
    });
    expect(registered.status).toBe(201);
    const deploy = await call(app, 'PATCH', base, { token: test.tokens.promoter, json: { image_ref: 'registry.example/shop/web:1.0.0' } });
    expect(deploy.status).toBe(202);
    expect(await finalOutcome(deploy.body.request_id)).toBe('healthy');
  });

  async function finalOutcome(requestId: string): Promise<string> {
    for (;;) {
      const { body } = await call(app, 'GET', `${base}/requests/${requestId}?wait_s=30`, { token: test.tokens.reader });
      if (body.final) return body.outcome;
    }
  }

  /** The command line through the API, as `token`: what it printed, line by line (errors too). */
  async function cli(token: string, ...args: string[]): Promise<{ code: number; out: string[] }> {
    const { code, out, err } = await cliThroughApi(app, token, args, { XDG_CONFIG_HOME: join(scratch, 'home') });
    return { code, out: [out, err].filter(Boolean).join('\n').split('\n') };
  }

  afterAll(async () => {
    await worker?.close([`deploy/${test.project}/${env}`]);
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('of a new image lists exactly the Deployment as configured, with the image as its one change, prunes nothing and changes nothing', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'web', namespace });
    const result = await call(app, 'POST', `${base}/preview`, { token: test.tokens.promoter, json: { image_ref: 'registry.example/shop/web:1.1.0' } });
    expect(result.status).toBe(200);
    expect(result.body.summary).toEqual({ created: 0, configured: 1, unchanged: 1, pruned: 0 });
    expect(result.body.omitted_field_changes).toBe(0);
    expect(result.body.ops_sha).toBe(git(repoDir, 'rev-parse', 'HEAD'));
    expect(result.body.objects).toEqual([
      { api_version: 'v1', kind: 'ConfigMap', name: 'web-config', namespace, action: 'unchanged', diff: [] },
      {
        api_version: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        namespace,
        action: 'configured',
        diff: [{ path: 'spec.template.spec.containers[name=web].image', before: 'registry.example/shop/web:1.0.0', after: 'registry.example/shop/web:1.1.0' }],
      },
    ]);
    const after = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    // Audited under the token's name, like the deploy it previews.
    const audit = await test.pool.query("SELECT details FROM audit_log WHERE project = $1 AND action = 'deployment.preview'", [test.project]);
    expect(audit.rows.at(-1)?.details).toMatchObject({ image_ref: 'registry.example/shop/web:1.1.0', summary: { configured: 1 } });
  });

  it("of an environment's first release lists every object as created, though its namespace does not exist yet, and makes none", async () => {
    const fresh = `${namespace}-fresh`.slice(0, 63).replace(/-+$/, '');
    const registered = await call(app, 'PUT', `/api/projects/${test.project}/environments/fresh`, {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace: fresh },
    });
    expect(registered.status).toBe(201);
    const result = await call(app, 'POST', `/api/projects/${test.project}/deployments/fresh/preview`, { token: test.tokens.promoter, json: { image_ref: 'registry.example/shop/web:1.0.0' } });
    expect(result.status).toBe(200);
    expect(result.body.summary).toEqual({ created: 2, configured: 0, unchanged: 0, pruned: 0 });
    expect(result.body.objects.map((object: { kind: string; namespace: string; action: string }) => [object.kind, object.namespace, object.action])).toEqual([
      ['ConfigMap', fresh, 'created'],
      ['Deployment', fresh, 'created'],
    ]);
    expect(await core.readNamespace({ name: fresh }).then(() => 'exists', () => 'absent')).toBe('absent');
  });

  it("with values shows the values' change too, and the command line prints it", async () => {
    const { code, out } = await cli(test.tokens.promoter, 'diff', '--project', test.project, '--env', env, '--image', 'registry.example/shop/web:1.0.0', '--values', '{"mode":"safe"}');
    expect(code).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(new RegExp(`^registry.example/shop/web:1.0.0 to ${test.project}/${env} at ops [0-9a-f]{12}: 1 configured, 1 unchanged$`)),
      `~ ConfigMap ${namespace}/web-config (configured)`,
      '    data.mode: "plain" → "safe"',
      `= Deployment ${namespace}/web`,
    ]);
  });

  it('refuses what a deploy would: a bad image ref by name, a read-only token, an unknown environment, a broken template with its file and line', async () => {
    const bad = await call(app, 'POST', `${base}/preview`, { token: test.tokens.promoter, json: { image_ref: 'not an image' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toEqual(['image_ref']);
    const reader = await call(app, 'POST', `${base}/preview`, { token: test.tokens.reader, json: { image_ref: 'registry.example/shop/web:1.1.0' } });
    expect(reader.status).toBe(403);
    const unknown = await call(app, 'POST', `/api/projects/${test.project}/deployments/nowhere/preview`, { token: test.tokens.promoter, json: { image_ref: 'registry.example/shop/web:1.1.0' } });
    expect(unknown.status).toBe(404);

    const registered = await call(app, 'PUT', `/api/projects/${test.project}/environments/broken`, {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'broken.yaml.njk', namespace: `${namespace}-broken` },
    });
    expect(registered.status).toBe(201);
    const broken = await call(app, 'POST', `/api/projects/${test.project}/deployments/broken/preview`, { token: test.tokens.promoter, json: { image_ref: 'registry.example/shop/web:1.1.0' } });
    expect(broken.status).toBe(422);
    expect(broken.body.error).toMatchObject({ code: 'preview_failed', details: { type: 'TemplateError' } });
    expect(broken.body.error.message).toMatch(/^TemplateError: broken\.yaml\.njk line \d+/);
  });

  it('once deployed, records on the release\'s history row what its apply did — what the preview said — and keeps the diff out of the workflow', async () => {
    const [v1, v2] = ['registry.example/shop/web:1.0.0', 'registry.example/shop/web:1.1.0'];
    const preview = await call(app, 'POST', `${base}/preview`, { token: test.tokens.promoter, json: { image_ref: v2 } });
    expect(preview.status).toBe(200);
    const deploy = await call(app, 'PATCH', base, { token: test.tokens.promoter, json: { image_ref: v2 } });
    expect(deploy.status).toBe(202);
    expect(await finalOutcome(deploy.body.request_id)).toBe('healthy');

    const history = await call(app, 'GET', `${base}/history`, { token: test.tokens.reader });
    expect(history.status).toBe(200);
    const [second, first] = history.body.items.filter((item: { action: string }) => item.action === 'deploy');
    expect(second).toMatchObject({ request_id: deploy.body.request_id, image_ref: v2, status: 'healthy', approval: null });
    expect(second.changes).toEqual({ objects: preview.body.objects, omitted_field_changes: 0 });
    expect(second.changes.objects.filter((object: { action: string }) => object.action !== 'unchanged')).toEqual([
      {
        api_version: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        namespace,
        action: 'configured',
        diff: [{ path: 'spec.template.spec.containers[name=web].image', before: v1, after: v2 }],
      },
    ]);
    // The first release made the namespace (no diff of its own: the render does not hold it) and both objects.
    expect(first).toMatchObject({ image_ref: v1, status: 'healthy' });
    expect(first.changes.objects.map((o: { kind: string; action: string; diff: unknown[] }) => [o.kind, o.action, o.diff.length > 0])).toEqual([
      ['Namespace', 'created', false],
      ['ConfigMap', 'created', true],
      ['Deployment', 'created', true],
    ]);
    expect(first.changes.objects[2].diff).toContainEqual({ path: 'spec.template.spec.containers[name=web].image', after: v1 });

    // The workflow got the change set of each release's apply without a diff.
    const events = (await test.client.workflow.getHandle(`deploy/${test.project}/${env}`).fetchHistory()).events ?? [];
    const applies = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyRelease').map((e) => String(e.eventId)));
    const results = events
      .filter((e) => e.activityTaskCompletedEventAttributes && applies.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)))
      .map((e) => defaultPayloadConverter.fromPayload<{ applied: { changes: unknown[] } }>(e.activityTaskCompletedEventAttributes!.result!.payloads![0]!));
    expect(results).toHaveLength(2);
    expect(results[1]!.applied.changes).toContainEqual({ ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace }, action: 'configured' });
    expect(JSON.stringify(results)).not.toContain('"diff"');

    // The command line shows each release's changes in a line, and with --diff the fields as `deployer diff` does.
    const summaries = await cli(test.tokens.reader, 'history', '--project', test.project, '--env', env);
    expect(summaries.code).toBe(0);
    expect(summaries.out).toEqual([
      expect.stringMatching(/ deploy +#2 registry\.example\/shop\/web:1\.1\.0 \(healthy, ops [0-9a-f]{12}\)$/),
      '    1 configured, 1 unchanged',
      expect.stringMatching(/ deploy +#1 registry\.example\/shop\/web:1\.0\.0 \(healthy, ops [0-9a-f]{12}\)$/),
      '    3 created',
    ]);
    const diff = await cli(test.tokens.reader, 'history', '--project', test.project, '--env', env, '--diff');
    expect(diff.code).toBe(0);
    expect(diff.out.slice(0, 6)).toEqual([
      summaries.out[0],
      '    1 configured, 1 unchanged',
      `      = ConfigMap ${namespace}/web-config`,
      `      ~ Deployment ${namespace}/web (configured)`,
      `          spec.template.spec.containers[name=web].image: "${v1}" → "${v2}"`,
      summaries.out[2],
    ]);
    expect(diff.out).toContain(`      + Namespace ${namespace} (created)`);
    expect(diff.out).toContain(`          spec.template.spec.containers[name=web].image: (unset) → "${v1}"`);
  });
});
