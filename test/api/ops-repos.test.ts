// The ops repo admin routes: CRUD with its conflicts, and the forced sync against a real git
// repository on disk, which a real worker's poller fetches (the API never runs git itself).
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsRepoPollerId } from '../../src/client/ops-repo-poller.js';
import { freshKeyring } from '../support/test-keyring.js';
import {
  auditRows,
  call,
  createLocalGitRepo,
  git,
  registerTestEnvironment,
  setUpApiTest,
  signalsOf,
  startApiWorker,
  workflowExists,
  type ApiTest,
  type ApiWorker,
} from './support.js';

describe('/api/admin/ops-repos', () => {
  let test: ApiTest;
  let worker: ApiWorker;
  let scratch: string;
  let repoDir: string;
  const base = '/api/admin/ops-repos';

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'api-ops-repos-'));
    test = await setUpApiTest('ops');
    worker = await startApiWorker(test, join(scratch, 'cache'));
    repoDir = join(scratch, 'ops');
    await createLocalGitRepo(repoDir);
  });
  afterAll(async () => {
    await worker?.close();
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('creates, lists, reads, updates and deletes a repo, auditing each change', async () => {
    const name = `${test.prefix}-crud`;
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: { name, url: 'https://git.example.com/a.git' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, url: 'https://git.example.com/a.git', branch: 'main', path: '.', sync_interval_s: 60, last_sha: null, environment_count: 0 });
    const id = created.body.id;

    const listed = await call(test.app, 'GET', base, { token: test.tokens.admin });
    expect(listed.body.items.filter((r: any) => r.id === id)).toHaveLength(1);
    expect((await call(test.app, 'GET', `${base}/${id}`, { token: test.tokens.admin })).body.name).toBe(name);

    const updated = await call(test.app, 'PATCH', `${base}/${id}`, { token: test.tokens.admin, json: { branch: 'release/1', path: 'envs/', sync_interval_s: 300 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ branch: 'release/1', path: 'envs', sync_interval_s: 300, url: 'https://git.example.com/a.git' });

    const deleted = await call(test.app, 'DELETE', `${base}/${id}`, { token: test.tokens.admin });
    expect(deleted.status).toBe(204);
    expect((await call(test.app, 'GET', `${base}/${id}`, { token: test.tokens.admin })).status).toBe(404);
    expect((await call(test.app, 'DELETE', `${base}/${id}`, { token: test.tokens.admin })).status).toBe(404);

    const actions = (await auditRows(test)).filter((row) => row.details.ops_repo_id === id || row.details.name === name);
    expect(actions.map((row) => [row.action, row.outcome])).toEqual([
      ['ops_repo.create', 'accepted'],
      ['ops_repo.update', 'accepted'],
      ['ops_repo.delete', 'accepted'],
      ['ops_repo.delete', 'rejected'],
    ]);
  });

  it('keeps the webhook secret write-only, and starts or wakes the poller of the branch', async () => {
    const name = `${test.prefix}-hooked`;
    const url = `https://git.example.com/${test.prefix}-hooked.git`;
    const secret = `s3cret-${test.prefix}-long-enough`;
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: { name, url, webhook_secret: secret } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ webhook_secret_set: true });
    expect(created.body).not.toHaveProperty('webhook_secret');
    expect(await workflowExists(test.client, opsRepoPollerId(url, 'main'))).toBe(true);
    const read = await call(test.app, 'GET', `${base}/${created.body.id}`, { token: test.tokens.admin });
    expect(read.body).toMatchObject({ webhook_secret_set: true });
    expect(JSON.stringify(read.body)).not.toContain(secret);

    const moved = await call(test.app, 'PATCH', `${base}/${created.body.id}`, { token: test.tokens.admin, json: { branch: 'release', webhook_secret: null } });
    expect(moved.body).toMatchObject({ branch: 'release', webhook_secret_set: false });
    expect(await signalsOf(test.client, opsRepoPollerId(url, 'release'))).toEqual([{ name: 'pollNow', payload: { reason: `ops repo ${name} was changed` } }]);

    const tooShort = await call(test.app, 'PATCH', `${base}/${created.body.id}`, { token: test.tokens.admin, json: { webhook_secret: 'short' } });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.details).toEqual([expect.objectContaining({ field: 'webhook_secret' })]);

    const audits = (await auditRows(test)).filter((row) => row.details.ops_repo_id === created.body.id);
    expect(audits.map((row) => row.details.changes?.webhook_secret ?? row.details.webhook_secret_set)).toEqual([true, 'removed']);
    expect(JSON.stringify(audits)).not.toContain(secret);
  });

  it('stores the webhook secret sealed where the server has payload keys, and checks pushes against it', async () => {
    const keyed = test.appWith({ payloadKeys: freshKeyring() });
    const name = `${test.prefix}-sealed-hook`;
    const secret = `s3cret-${test.prefix}-sealed`;
    const created = await call(keyed, 'POST', base, { token: test.tokens.admin, json: { name, url: `https://git.example.com/${name}.git`, webhook_secret: secret } });
    expect(created.status).toBe(201);
    const { rows } = await test.pool.query<{ webhook_secret: string }>('SELECT webhook_secret FROM ops_repos WHERE id = $1', [created.body.id]);
    expect(rows[0]!.webhook_secret).toMatch(/^sealed:[A-Za-z0-9+/=]+$/);
    expect(rows[0]!.webhook_secret).not.toContain(secret);

    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40), repository: { full_name: name } });
    const push = (app: typeof keyed, key: string) =>
      app.request(`/api/hooks/git/${name}`, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          'X-GitHub-Delivery': `delivery-${test.prefix}-${key.length}`,
          'X-Hub-Signature-256': `sha256=${createHmac('sha256', key).update(body).digest('hex')}`,
        },
      });
    expect((await push(keyed, secret)).status).toBe(202);
    expect((await push(keyed, `${secret}-wrong`)).status).toBe(401);
    const keyless = await push(test.app, secret);
    expect(keyless.status).toBe(503);
    expect(await keyless.text()).toContain('DEPLOYER_PAYLOAD_KEYS');
  });

  it('refuses a second repo with the same name, naming the field', async () => {
    const name = `${test.prefix}-twice`;
    await call(test.app, 'POST', base, { token: test.tokens.admin, json: { name, url: 'https://git.example.com/b.git' } });
    const again = await call(test.app, 'POST', base, { token: test.tokens.admin, json: { name, url: 'https://git.example.com/c.git' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'name_taken', details: [{ field: 'name' }] });
    const { rows } = await test.pool.query('SELECT url FROM ops_repos WHERE name = $1', [name]);
    expect(rows).toEqual([{ url: 'https://git.example.com/b.git' }]);
  });

  it('refuses to delete a repo while an environment uses it, and names the environment', async () => {
    await registerTestEnvironment(test, test.project, 'prod');
    const { rows } = await test.pool.query<{ id: string }>('SELECT id FROM ops_repos WHERE name = $1', [`${test.prefix}-ops`]);
    const id = Number(rows[0]!.id);
    const refused = await call(test.app, 'DELETE', `${base}/${id}`, { token: test.tokens.admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'ops_repo_in_use', details: { environments: [`${test.project}/prod`] } });
    expect((await test.pool.query('SELECT 1 FROM ops_repos WHERE id = $1', [id])).rowCount).toBe(1);
  });

  it("syncs a repo: the worker's poller fetches the branch head, records it, and the API answers it", async () => {
    const url = `file://${repoDir}`;
    const created = await call(worker.app, 'POST', base, { token: test.tokens.admin, json: { name: `${test.prefix}-local`, url } });
    test.started.add(opsRepoPollerId(url, 'main'));
    const id = created.body.id;
    const head = git(repoDir, 'rev-parse', 'HEAD');
    const synced = await call(worker.app, 'POST', `${base}/${id}/sync`, { token: test.tokens.admin });
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ id, sha: head });

    await writeFile(join(repoDir, 'values.yaml'), 'replicas: 2\n');
    git(repoDir, 'commit', '--quiet', '-am', 'second');
    const next = await call(worker.app, 'POST', `${base}/${id}/sync`, { token: test.tokens.admin });
    expect(next.status).toBe(200);
    expect(next.body.sha).toBe(git(repoDir, 'rev-parse', 'HEAD'));
    expect(next.body.sha).not.toBe(head);
    const stored = await call(worker.app, 'GET', `${base}/${id}`, { token: test.tokens.admin });
    expect(stored.body).toMatchObject({ last_sha: next.body.sha, last_synced_at: next.body.synced_at });
    const audits = (await auditRows(test, { action: 'ops_repo.sync' })).filter((row) => row.details.ops_repo_id === id);
    expect(audits.map((row) => [row.outcome, row.details.url, row.details.sha])).toEqual([
      ['accepted', url, head],
      ['accepted', url, next.body.sha],
    ]);
  });

  it('reports a missing branch as a failed sync naming the branch, and records nothing', async () => {
    const url = `file://${repoDir}`;
    const created = await call(worker.app, 'POST', base, { token: test.tokens.admin, json: { name: `${test.prefix}-nobranch`, url, branch: 'does-not-exist' } });
    test.started.add(opsRepoPollerId(url, 'does-not-exist'));
    const synced = await call(worker.app, 'POST', `${base}/${created.body.id}/sync`, { token: test.tokens.admin });
    expect(synced.status).toBe(422);
    expect(synced.body.error.code).toBe('sync_failed');
    expect(synced.body.error.message).toContain('"does-not-exist" does not exist');
    const stored = await call(worker.app, 'GET', `${base}/${created.body.id}`, { token: test.tokens.admin });
    expect(stored.body.last_sha).toBeNull();
    const [audit] = (await auditRows(test, { action: 'ops_repo.sync' })).filter((row) => row.details.ops_repo_id === created.body.id);
    expect(audit).toMatchObject({ outcome: 'failed', details: { status: 422 } });
  });

  it('answers 503 naming the task queue within its timeout when no worker takes the sync', async () => {
    // test.app sends to the test's own task queue, which no worker polls.
    const url = `file://${repoDir}`;
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: { name: `${test.prefix}-noworker`, url, branch: 'unpolled' } });
    test.started.add(opsRepoPollerId(url, 'unpolled'));
    const impatient = test.appWith({ opsRepoSyncTimeoutMs: 1_000 });
    const askedAt = Date.now();
    const synced = await call(impatient, 'POST', `${base}/${created.body.id}/sync`, { token: test.tokens.admin });
    expect(Date.now() - askedAt).toBeLessThan(5_000);
    expect(synced.status).toBe(503);
    expect(synced.body.error).toMatchObject({ code: 'no_worker', message: expect.stringContaining(`no worker answered within 1 s`) });
    expect(synced.body.error.message).toContain(`"${test.taskQueue}"`);
    const [audit] = (await auditRows(test, { action: 'ops_repo.sync' })).filter((row) => row.details.ops_repo_id === created.body.id);
    expect(audit).toMatchObject({ outcome: 'failed', details: { status: 503 } });
  });

  it('refuses to sync a file:// repo on a server that does not allow file URLs', async () => {
    const created = await call(test.app, 'POST', base, { token: test.tokens.admin, json: { name: `${test.prefix}-strict`, url: `file://${repoDir}` } });
    const strictApp = test.appWith({ allowFileUrls: false });
    const synced = await call(strictApp, 'POST', `${base}/${created.body.id}/sync`, { token: test.tokens.admin });
    expect(synced.status).toBe(409);
    expect(synced.body.error).toMatchObject({ code: 'invalid_ops_repo', message: expect.stringContaining('file://') });
  });
});
