// Git changes arrive as events, on real parts: one local git repository holding two environments'
// files under different paths (two ops repo rows on one URL and branch), a real worker running
// both environments and the branch's poller, and the HTTP API receiving push webhooks. A commit
// under one path reconciles only that environment, at the new commit; a push with a bad signature
// is refused and changes nothing; a signed push makes the change deploy at once.
import * as k8s from '@kubernetes/client-node';
import { createHmac } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { createApp } from '../../src/api/app.js';
import { startApiServer, type ApiServer } from '../../src/api/listen.js';
import { createApiToken } from '../../src/auth/tokens.js';
import { opsRepoPollerId, startOpsRepoPoller } from '../../src/client/ops-repo-poller.js';
import { registerEnvironment } from '../../src/db/environments.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { pollerStateQuery } from '../../workflows/ops-repo-poller-messages.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

const sampleRepo = fileURLToPath(new URL('../../sample/ops-repo', import.meta.url));
const SECRET = `secret-${uniqueSuffix()}-${uniqueSuffix()}`;

describe('ops repo changes as events', () => {
  const project = `gitev-${uniqueSuffix()}`;
  const taskQueue = `gitev-${uniqueSuffix()}`;
  const environments = ['a', 'b'] as const;
  const namespace = (environment: string) => `${project}-${environment}`;
  const repoName = (environment: string) => `${project}-${environment}`;
  const dirs: string[] = [];
  const pool = () => getPool(testEnv.databaseUrl);
  let repo: SimpleGit;
  let repoDir: string;
  let url: string;
  let real: RealWorker;
  let api: ApiServer;
  let adminToken: string;
  let core: k8s.CoreV1Api;
  let initialSha: string;

  async function commit(file: string, change: (text: string) => string, message: string): Promise<string> {
    await writeFile(join(repoDir, file), change(await readFile(join(repoDir, file), 'utf8')));
    await repo.add('.').commit(message);
    return (await repo.revparse(['HEAD'])).trim();
  }

  async function historyRows(environment: string) {
    const { rows } = await pool().query<{ action: string; status: string; sha: string | null; reason: string | null; requested_by: string | null; started_at: Date; finished_at: Date | null }>(
      'SELECT action, status, sha, reason, requested_by, started_at, finished_at FROM deployment_history WHERE project = $1 AND environment = $2 ORDER BY id',
      [project, environment],
    );
    return rows;
  }

  /** The requests a workflow (all its runs) took, as signals or updates, by name. */
  async function signalsOf(workflowId: string): Promise<string[]> {
    const names: string[] = [];
    for await (const execution of real.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      const history = await real.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      for (const event of history.events ?? []) {
        const name = event.workflowExecutionSignaledEventAttributes?.signalName ?? event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        if (name) names.push(name);
      }
    }
    return names;
  }

  const poller = () => real.client.workflow.getHandle(opsRepoPollerId(url, 'main'));

  async function webhook(body: string, headers: Record<string, string>) {
    const response = await fetch(`http://127.0.0.1:${api.port}/api/hooks/git/${repoName('a')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': `delivery-${uniqueSuffix()}`, ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function admin(method: string, path: string, json: unknown) {
    const response = await fetch(`http://127.0.0.1:${api.port}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify(json),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  beforeAll(async () => {
    installQuietRuntime();
    await migrate(pool());
    repoDir = await mkdtemp(join(tmpdir(), 'deployer-gitev-'));
    const cacheDir = await mkdtemp(join(tmpdir(), 'deployer-gitev-cache-'));
    dirs.push(repoDir, cacheDir);
    for (const environment of environments) await cp(sampleRepo, join(repoDir, environment), { recursive: true });
    await writeFile(join(repoDir, 'README.md'), 'two environments, one directory each\n');
    repo = simpleGit(repoDir);
    await repo.init(['--initial-branch=main']);
    await repo.addConfig('user.name', 'deployer tests').addConfig('user.email', 'tests@deployer.local');
    await repo.add('.').commit('two environments');
    initialSha = (await repo.revparse(['HEAD'])).trim();
    url = pathToFileURL(repoDir).href;
    for (const environment of environments) {
      await registerEnvironment(pool(), {
        project,
        environment,
        opsRepo: { name: repoName(environment), url, branch: 'main', path: environment },
        manifestPath: 'app.yaml.njk',
        namespace: namespace(environment),
        // Only events reconcile here: the safety-net pass is an hour away.
        policy: { minIntervalMs: 200, driftIntervalMs: 3_600_000, healthTimeoutMs: 60_000 },
      });
    }
    // The poller checks the branch every second in the first part.
    await pool().query('UPDATE ops_repos SET sync_interval_s = 1 WHERE url = $1', [url]);

    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    real = await startRealWorker({ taskQueue, pool: pool(), kubeConfig, repoCacheDir: cacheDir });
    adminToken = (await createApiToken(pool(), { name: `${project}-admin`, scopes: ['admin'] })).token;
    api = await startApiServer({
      app: createApp({ pool: pool(), temporalClient: real.client, taskQueue, allowFileUrls: true }),
      port: 0,
      host: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await api?.close();
    await real?.close([...environments.map((environment) => `deploy/${project}/${environment}`), opsRepoPollerId(url, 'main')]);
    for (const environment of environments) await core?.deleteNamespace({ name: namespace(environment) }).catch(() => undefined);
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('reconciles only the environment whose path changed, refuses a badly signed push, and deploys a signed one at once', async () => {
    // Both environments deployed from the first commit.
    for (const environment of environments) {
      const key = { project, environment };
      const { requestId } = await real.deployer.deploy({ ...key, imageRef: 'registry.example/shop/web:1.0.0', requestedBy: 'gitev' });
      const release = await real.deployer.waitForRelease(key, requestId, { timeoutMs: 90_000 });
      expect(release).toMatchObject({ status: 'healthy', opsSha: initialSha });
    }

    // The poller's first poll only records the head: nothing moved since no row knew one.
    await startOpsRepoPoller(real.client, { url, branch: 'main', taskQueue });
    await waitFor('the first poll', async () => (await poller().query(pollerStateQuery)).lastSha === initialSha, { timeoutMs: 30_000 });
    const { rows: recorded } = await pool().query<{ last_sha: string; last_synced_at: Date }>('SELECT last_sha, last_synced_at FROM ops_repos WHERE url = $1', [url]);
    expect(recorded.map((row) => row.last_sha)).toEqual([initialSha, initialSha]);
    expect(recorded.every((row) => row.last_synced_at !== null)).toBe(true);

    // A commit under a/ only: a reconciles at the new commit, b hears nothing.
    const greetingA = `hello from a, ${uniqueSuffix()}`;
    const shaA = await commit('a/values.yaml', (text) => text.replace(/^greeting: .*$/m, `greeting: ${greetingA}`), 'a: new greeting');
    const driftA = await waitFor('a drift pass of a at the new commit', async () => (await historyRows('a')).find((row) => row.action === 'drift' && row.status === 'corrected'), { timeoutMs: 60_000 });
    expect(driftA).toMatchObject({ sha: shaA, requested_by: 'deployer (ops-repo)' });
    expect(driftA.reason).toContain(`noticed: main moved to ${shaA.slice(0, 8)}: a/values.yaml`);
    expect((await core.readNamespacedConfigMap({ name: `${project}-config`, namespace: namespace('a') })).data?.greeting).toBe(greetingA);
    const state = await real.deployer.state({ project, environment: 'a' });
    expect(state?.current?.opsSha).toBe(shaA);
    // The poller has moved on past that commit, so b would have been told by now.
    await waitFor('the poller to record the commit', async () => (await poller().query(pollerStateQuery)).lastSha === shaA);
    expect((await historyRows('b')).map((row) => row.action)).toEqual(['deploy']);
    expect(await signalsOf(`deploy/${project}/b`)).toEqual(['deploy']);
    expect((await signalsOf(`deploy/${project}/a`)).filter((name) => name === 'reconcile')).toHaveLength(1);

    // Webhooks from here on: the poller waits an hour between polls, and pushes must be signed.
    for (const environment of environments) {
      const { rows } = await pool().query<{ id: string }>('SELECT id FROM ops_repos WHERE name = $1', [repoName(environment)]);
      const changed = await admin('PATCH', `/api/admin/ops-repos/${rows[0]!.id}`, { sync_interval_s: 3600, ...(environment === 'a' ? { webhook_secret: SECRET } : {}) });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ sync_interval_s: 3600, webhook_secret_set: environment === 'a' });
      expect(changed.body).not.toHaveProperty('webhook_secret');
    }
    await waitFor('the poller to take the hour interval', async () => {
      const current = await poller().query(pollerStateQuery);
      return current.intervalMs === 3_600_000 && current.wanted.length === 0;
    }, { timeoutMs: 30_000 });

    const shaB = await commit('a/values.yaml', (text) => text.replace(/^replicas: .*$/m, 'replicas: 3'), 'a: three replicas');
    const payload = JSON.stringify({ ref: 'refs/heads/main', before: shaA, after: shaB, pusher: { name: 'alice' } });
    const signature = (secret: string) => `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
    const pollNowBefore = (await signalsOf(poller().workflowId)).filter((name) => name === 'pollNow').length;

    // Signed with the wrong secret, unsigned, for an unknown repo, for a repo without a secret: refused.
    const forged = await webhook(payload, { 'X-Hub-Signature-256': signature('not-the-secret-at-all') });
    expect(forged).toMatchObject({ status: 401, body: { error: { code: 'invalid_signature', message: expect.stringContaining('does not match') } } });
    expect((await webhook(payload, {})).status).toBe(401);
    const noSecret = await fetch(`http://127.0.0.1:${api.port}/api/hooks/git/${repoName('b')}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature(SECRET) }, body: payload });
    expect(noSecret.status).toBe(403);
    expect(((await noSecret.json()) as any).error.message).toContain('webhook_secret');
    expect((await fetch(`http://127.0.0.1:${api.port}/api/hooks/git/${project}-none`, { method: 'POST', body: payload })).status).toBe(404);
    expect((await signalsOf(poller().workflowId)).filter((name) => name === 'pollNow')).toHaveLength(pollNowBefore);
    expect((await poller().query(pollerStateQuery)).lastSha).toBe(shaA);
    expect((await signalsOf(`deploy/${project}/a`)).filter((name) => name === 'reconcile')).toHaveLength(1);
    const refusedAudit = await pool().query('SELECT 1 FROM audit_log WHERE actor = $1', [`webhook:${repoName('a')}`]);
    expect(refusedAudit.rowCount).toBe(0);

    // A push to another branch is acknowledged and ignored.
    const otherBranch = JSON.stringify({ ref: 'refs/heads/feature', after: shaB });
    const ignored = await webhook(otherBranch, { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(otherBranch).digest('hex')}` });
    expect(ignored).toMatchObject({ status: 202, body: { status: 'ignored' } });

    // Signed like GitHub signs it: the poller polls now, and a reconciles at the new commit.
    const sentAt = Date.now();
    const accepted = await webhook(payload, { 'X-Hub-Signature-256': signature(SECRET) });
    expect(accepted).toMatchObject({ status: 202, body: { status: 'accepted', repo: repoName('a'), reason: `github push to main (${shaB.slice(0, 8)}) by alice`, poller: opsRepoPollerId(url, 'main') } });
    const driftB = await waitFor('a drift pass of a at the pushed commit', async () => (await historyRows('a')).find((row) => row.action === 'drift' && row.sha === shaB && row.status === 'corrected'), { timeoutMs: 60_000, intervalMs: 50 });
    console.info(
      `webhook → drift pass started ${driftB.started_at.getTime() - sentAt} ms, → corrected (rollout healthy) ${driftB.finished_at!.getTime() - sentAt} ms`,
    );
    expect(driftB.started_at.getTime() - sentAt).toBeLessThan(10_000);
    expect(driftB.reason).toContain('(github push to main');
    await waitFor('three pods of a', async () => {
      const pods = await core.listNamespacedPod({ namespace: namespace('a'), labelSelector: `app=${project}` });
      return pods.items.filter((pod) => !pod.metadata?.deletionTimestamp).length === 3;
    }, { timeoutMs: 60_000 });
    expect(await signalsOf(`deploy/${project}/b`)).toEqual(['deploy']);

    const [audit] = (await pool().query('SELECT action, outcome, details FROM audit_log WHERE actor = $1 ORDER BY id', [`webhook:${repoName('a')}`])).rows.filter(
      (row) => row.details.result === 'accepted',
    );
    expect(audit).toMatchObject({ action: 'ops_repo.webhook', outcome: 'accepted', details: { after: shaB, host: 'github', verified_by: 'X-Hub-Signature-256' } });
    const secretInAudit = await pool().query("SELECT 1 FROM audit_log WHERE details::text LIKE '%' || $1 || '%'", [SECRET]);
    expect(secretInAudit.rowCount).toBe(0);
  });

  it('deploys the head the poller recorded without fetching, while it is fresh', async () => {
    // The poller recorded the pushed commit a moment ago (an hour's interval: fresh). A new commit
    // nobody announced is not what a deploy renders until the poller sees it.
    const { rows } = await pool().query<{ last_sha: string }>('SELECT last_sha FROM ops_repos WHERE name = $1', [repoName('b')]);
    const known = rows[0]!.last_sha;
    const unannounced = await commit('b/values.yaml', (text) => text.replace(/^greeting: .*$/m, 'greeting: not announced yet'), 'b: unannounced');
    const key = { project, environment: 'b' };
    const { requestId } = await real.deployer.deploy({ ...key, imageRef: 'registry.example/shop/web:1.1.0', requestedBy: 'gitev' });
    const release = await real.deployer.waitForRelease(key, requestId, { timeoutMs: 90_000 });
    expect(release.opsSha).toBe(known);
    expect(release.opsSha).not.toBe(unannounced);
  });
});
