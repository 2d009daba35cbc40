// Write-only secrets end to end, on the real stack: an environment registered with a secret and a
// deploy carrying another, through the API, rendered by a real worker into a ConfigMap and a
// Secret. The applied objects hold the values; every other place a value could end up — API
// answers, audit rows, history rows, stored renders, the workflow's Temporal history, the worker's
// and the API's logs, a failing render's error — is read raw and must not hold it.
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/listen.js';
import { runCli } from '../../src/cli.js';
import { freshKeyring } from '../support/test-keyring.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv } from '../support/env.js';
import { historyText } from '../support/history-text.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { installCapturingRuntime } from '../support/temporal-runtime.js';
import { call, createLocalGitRepo, git, setUpApiTest, type ApiTest } from './support.js';

// Captured before any worker exists: the runtime (and its logger) is one per process.
const logs: string[] = [];
installCapturingRuntime('DEBUG', (entry) => logs.push(JSON.stringify(entry, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))));



const TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  password: {{ secrets.DB_PASSWORD }}
  mode: {{ values.mode }}
---
apiVersion: v1
kind: Secret
metadata:
  name: app-token
stringData:
  token: {{ secrets.API_TOKEN }}
`;

describe('write-only secrets', () => {
  let test: ApiTest;
  let worker: RealWorker;
  let app: ApiTest['app'];
  let core: k8s.CoreV1Api;
  let scratch: string;
  let repoDir: string;
  const keys = freshKeyring();
  // Distinctive values, and a short one: a short secret must not leak through a digest either.
  const dbPassword = `pw-${randomBytes(12).toString('hex')}`;
  const apiToken = `tok-${randomBytes(12).toString('hex')}`;
  // Set later through the command line.
  const dbPassword2 = `pw2-${randomBytes(12).toString('hex')}`;
  const apiToken2 = `tok2-${randomBytes(12).toString('hex')}`;
  const secretValues = [dbPassword, apiToken, dbPassword2, apiToken2];
  const responses: unknown[] = [];
  const apiLogs: string[] = [];
  let env: string;
  let opsRepoId: number;
  let namespace: string;

  async function api(method: string, path: string, json?: unknown, token = test.tokens.admin) {
    const result = await call(app, method, path, { token, json });
    responses.push(result.body);
    return result;
  }

  async function waitForOutcome(requestId: string) {
    for (;;) {
      const { body } = await api('GET', `/api/projects/${test.project}/deployments/${env}/requests/${requestId}?wait_s=30`, undefined, test.tokens.reader);
      if (body.final) return body;
    }
  }

  /** Every place a value could be kept, as text. */
  async function rawStores(): Promise<Record<string, string>> {
    const query = async (sql: string, params: unknown[]) => JSON.stringify((await test.pool.query(sql, params)).rows);
    const history = await test.client.workflow.getHandle(`deploy/${test.project}/${env}`).fetchHistory();
    const temporal = historyText(history);
    return {
      responses: JSON.stringify(responses),
      audit: await query('SELECT * FROM audit_log WHERE project = $1', [test.project]),
      history: await query('SELECT * FROM deployment_history WHERE project = $1', [test.project]),
      // Every stored render, not only this test's: a value must not be in the table at all.
      renders: await query("SELECT sha256, yaml, encode(sealed, 'escape') AS sealed FROM rendered_manifests", []),
      secrets: await query("SELECT name, fingerprint, encode(sealed, 'escape') AS sealed FROM environment_secrets WHERE project = $1", [test.project]),
      environments: await query('SELECT * FROM environments WHERE project = $1', [test.project]),
      applied: await query('SELECT * FROM applied_objects WHERE project = $1', [test.project]),
      temporal,
      workerLogs: logs.join('\n'),
      apiLogs: apiLogs.join('\n'),
    };
  }

  async function expectNoSecretAnywhere() {
    const stores = await rawStores();
    for (const [store, text] of Object.entries(stores)) {
      for (const value of secretValues) {
        expect(text.includes(value), `${store} holds a secret value`).toBe(false);
        expect(text.includes(Buffer.from(value).toString('base64')), `${store} holds a secret value in base64`).toBe(false);
      }
    }
    return stores;
  }

  beforeAll(async () => {
    test = await setUpApiTest('secrets');
    scratch = await mkdtemp(join(tmpdir(), 'api-secrets-'));
    repoDir = join(scratch, 'ops');
    const url = await createLocalGitRepo(repoDir);
    await writeFile(join(repoDir, 'values.yaml'), 'mode: plain\n');
    await writeFile(join(repoDir, 'app.yaml.njk'), TEMPLATE);
    git(repoDir, 'add', '.');
    git(repoDir, 'commit', '--quiet', '-m', 'template with secrets');

    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const taskQueue = `${test.taskQueue}-worker`;
    worker = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig, repoCacheDir: join(scratch, 'cache'), secretKeys: keys });
    app = test.appWith({
      taskQueue,
      payloadKeys: keys,
      logger: { error: (context, message) => apiLogs.push(JSON.stringify({ message, ...context, err: String(context.err) })) },
    });
    env = 'prod';
    namespace = `${test.project}-${env}`.slice(0, 63).replace(/-+$/, '');
    const repo = await api('POST', '/api/admin/ops-repos', { name: `${test.prefix}-ops`, url });
    expect(repo.status).toBe(201);
    opsRepoId = repo.body.id;
  });

  afterAll(async () => {
    await worker?.close([`deploy/${test.project}/${env}`]);
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('are refused, naming the field and the variable, by a server without payload keys', async () => {
    const result = await call(test.app, 'PUT', `/api/projects/${test.project}/environments/nokeys`, {
      token: test.tokens.admin,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace: `${test.project}-nokeys`, secrets: { DB_PASSWORD: dbPassword } },
    });
    responses.push(result.body);
    expect(result.status).toBe(400);
    expect(result.body.error.details).toEqual([{ field: 'secrets', message: expect.stringContaining('DEPLOYER_PAYLOAD_KEYS') }]);
    const stored = await test.pool.query('SELECT 1 FROM environments WHERE project = $1 AND name = $2', [test.project, 'nokeys']);
    expect(stored.rowCount).toBe(0);
  });

  it('refuses bad names and values naming secrets.NAME, without quoting the value', async () => {
    const result = await api('PUT', `/api/projects/${test.project}/environments/${env}`, {
      ops_repo: `${test.prefix}-ops`,
      manifest_path: 'app.yaml.njk',
      namespace,
      secrets: { 'not-an-identifier': dbPassword, EMPTY: '', BIG: 'x'.repeat(16 * 1024 + 1) },
    });
    expect(result.status).toBe(400);
    expect(result.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['secrets.BIG', 'secrets.EMPTY', 'secrets.not-an-identifier']);
  });

  it('render into the applied objects, and show only as fingerprints', async () => {
    const registered = await api('PUT', `/api/projects/${test.project}/environments/${env}`, {
      ops_repo: `${test.prefix}-ops`,
      manifest_path: 'app.yaml.njk',
      namespace,
      policy: { min_interval_ms: 0 },
      secrets: { DB_PASSWORD: dbPassword },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.secrets).toEqual({ DB_PASSWORD: { fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{12}$/) } });

    const deploy = await api('PATCH', `/api/projects/${test.project}/deployments/${env}`, {
      image_ref: 'registry.example/shop/web:1.0.0',
      secrets: { API_TOKEN: apiToken },
    }, test.tokens.promoter);
    expect(deploy.status).toBe(202);
    const outcome = await waitForOutcome(deploy.body.request_id);
    expect(outcome).toMatchObject({ outcome: 'healthy' });

    const configMap = await core.readNamespacedConfigMap({ name: 'app-config', namespace });
    expect(configMap.data).toMatchObject({ password: dbPassword, mode: 'plain' });
    const secret = await core.readNamespacedSecret({ name: 'app-token', namespace });
    expect(Buffer.from(secret.data!.token!, 'base64').toString('utf8')).toBe(apiToken);

    const detail = await api('GET', `/api/projects/${test.project}/deployments/${env}`, undefined, test.tokens.reader);
    expect(detail.body.registration.secrets).toEqual({
      API_TOKEN: { fingerprint: expect.stringMatching(/^hmac-sha256:/) },
      DB_PASSWORD: registered.body.secrets.DB_PASSWORD,
    });
    const history = await api('GET', `/api/projects/${test.project}/deployments/${env}/history`, undefined, test.tokens.reader);
    // The release's recorded changes show the fields, with the values taken from secrets hidden.
    const created = history.body.items[0].changes.objects.find((o: { kind: string }) => o.kind === 'ConfigMap');
    expect(created).toMatchObject({ name: 'app-config', action: 'created' });
    expect(created.diff).toEqual(expect.arrayContaining([{ path: 'data.password', after: '[secret]' }, { path: 'data.mode', after: 'plain' }]));

    const stores = await expectNoSecretAnywhere();
    // What was searched is what it seems: decoded payloads, the worker's own log lines.
    expect(stores.temporal).toMatch(/imageRef.{0,8}registry.example\/shop\/web:1.0.0/);
    expect(logs.length).toBeGreaterThan(0);
    // The audit rows say which secrets were written, by name and fingerprint.
    expect(stores.audit).toContain('API_TOKEN');
    expect(stores.audit).toContain(detail.body.registration.secrets.API_TOKEN.fingerprint);
    // The render was stored, sealed.
    const { rows } = await test.pool.query<{ yaml: string | null; sealed: Buffer | null }>(
      'SELECT r.yaml, r.sealed FROM rendered_manifests r JOIN deployment_history h ON h.manifest_hash = r.sha256 WHERE h.project = $1',
      [test.project],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.yaml === null && row.sealed !== null)).toBe(true);
  });

  it('come from files on the command line, through the API', async () => {
    const server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
    try {
      await writeFile(join(scratch, 'db-password'), `${dbPassword2}\n`, { mode: 0o600 });
      await writeFile(join(scratch, 'api-token'), apiToken2, { mode: 0o600 });
      const cli = async (token: string | undefined, ...args: string[]) => {
        const out: string[] = [];
        const env: Record<string, string> = { XDG_CONFIG_HOME: join(scratch, 'home'), TEMPORAL_ADDRESS: '127.0.0.1:9' };
        if (token) Object.assign(env, { DEPLOYER_URL: `http://127.0.0.1:${server.port}`, DEPLOYER_TOKEN: token });
        const code = await runCli(args, { out: (l) => out.push(l), err: (l) => out.push(l), env });
        responses.push(out);
        return { code, out };
      };
      const target = ['--project', test.project, '--env', env];
      const registered = await cli(test.tokens.admin, 'env', 'register', ...target, '--ops-repo', `${test.prefix}-ops`, '--manifest-path', 'app.yaml.njk',
        '--namespace', namespace, '--policy', '{"min_interval_ms":0}', '--secret-file', `DB_PASSWORD=${join(scratch, 'db-password')}`);
      expect(registered).toMatchObject({ code: 0 });
      // Straight to Temporal, a secret would stay in the workflow's history: refused before anything is sent.
      const direct = await cli(undefined, 'deploy', ...target, '--image', 'registry.example/shop/web:1.0.2', '--secret-file', `API_TOKEN=${join(scratch, 'api-token')}`);
      expect(direct.code).toBe(2);
      expect(direct.out.join('\n')).toContain('deployer login');
      const deployed = await cli(test.tokens.promoter, 'deploy', ...target, '--image', 'registry.example/shop/web:1.0.2', '--secret-file', `API_TOKEN=${join(scratch, 'api-token')}`, '--wait', '--timeout', '60');
      expect(deployed.out.at(-1)).toMatch(/^healthy: /);
      expect(deployed.code).toBe(0);
    } finally {
      await server.close();
    }
    expect((await core.readNamespacedConfigMap({ name: 'app-config', namespace })).data?.password).toBe(dbPassword2);
    const secret = await core.readNamespacedSecret({ name: 'app-token', namespace });
    expect(Buffer.from(secret.data!.token!, 'base64').toString('utf8')).toBe(apiToken2);
    // The old password is no secret the render knows any more: the field's old value is hidden whole.
    const history = await api('GET', `/api/projects/${test.project}/deployments/${env}/history`, undefined, test.tokens.reader);
    const configured = history.body.items[0].changes.objects.find((o: { kind: string }) => o.kind === 'ConfigMap');
    expect(configured).toMatchObject({ name: 'app-config', action: 'configured', diff: [{ path: 'data.password', before: '(hidden)', after: '[secret]' }] });
    await expectNoSecretAnywhere();
  });

  it('keep a value out of a failing render\'s error', async () => {
    // nunjucks names a missing template in its error: here the name is the secret.
    await writeFile(join(repoDir, 'app.yaml.njk'), `${TEMPLATE}---\n{% include secrets.DB_PASSWORD %}\n`);
    git(repoDir, 'commit', '--quiet', '-am', 'include named by a secret');
    expect((await api('POST', `/api/admin/ops-repos/${opsRepoId}/sync`)).status).toBe(200);
    const deploy = await api('PATCH', `/api/projects/${test.project}/deployments/${env}`, { image_ref: 'registry.example/shop/web:1.0.3' }, test.tokens.promoter);
    expect(deploy.status).toBe(202);
    const outcome = await waitForOutcome(deploy.body.request_id);
    expect(outcome.outcome).toBe('failed');
    expect(JSON.stringify(outcome)).toContain('[secret]');
    await expectNoSecretAnywhere();
  });

  it('are deleted with null, and the deletion is audited by name', async () => {
    const result = await api('PATCH', `/api/projects/${test.project}/deployments/${env}`, { secrets: { API_TOKEN: null } }, test.tokens.promoter);
    expect(result.status).toBe(202);
    expect(result.body.signal).toBeNull();
    const detail = await api('GET', `/api/projects/${test.project}/deployments/${env}`, undefined, test.tokens.reader);
    expect(Object.keys(detail.body.registration.secrets)).toEqual(['DB_PASSWORD']);
    const { rows } = await test.pool.query<{ details: { secrets?: Record<string, string> } }>(
      "SELECT details FROM audit_log WHERE project = $1 AND action = 'deployment.update' ORDER BY id DESC LIMIT 1",
      [test.project],
    );
    expect(rows[0]!.details.secrets).toEqual({ API_TOKEN: 'deleted' });
    await expectNoSecretAnywhere();
  });
});
