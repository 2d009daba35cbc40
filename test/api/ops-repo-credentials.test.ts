// Git credentials of an ops repository, against a real git server over HTTPS that demands basic
// authentication (git-http-backend behind Node's https server). Without credentials a sync fails
// with an error that says so; with them the worker's git clones and fetches. The token is handed to
// git through a credential helper reading the git process's environment: it is never in a URL, on
// disk in the repo cache, in an API answer, an audit row, the ops_repos row, the poller's Temporal
// history or the worker's logs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/listen.js';
import { runCli } from '../../src/cli.js';
import { freshKeyring } from '../support/test-keyring.js';
import { opsRepoPollerId } from '../../src/client/ops-repo-poller.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv } from '../support/env.js';
import { historyText } from '../support/history-text.js';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { installCapturingRuntime } from '../support/temporal-runtime.js';
import { makeTestCertificates } from '../support/tls-terminator.js';
import { call, createLocalGitRepo, git, setUpApiTest, type ApiTest } from './support.js';

const logs: string[] = [];
installCapturingRuntime('DEBUG', (entry) => logs.push(JSON.stringify(entry, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))));



/** Every file under `dir`, read as text. */
async function filesUnder(dir: string): Promise<string> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) texts.push(await readFile(path, 'latin1'));
  }
  return texts.join('\n');
}

describe('ops repo git credentials', () => {
  let test: ApiTest;
  let worker: RealWorker;
  let server: GitHttpServer;
  let app: ApiTest['app'];
  let scratch: string;
  let repoUrl: string;
  let head: string;
  const previousCaInfo = process.env.GIT_SSL_CAINFO;
  const token = `ghp_${randomBytes(16).toString('hex')}`;
  const responses: unknown[] = [];

  async function api(method: string, path: string, json?: unknown) {
    const result = await call(app, method, path, { token: test.tokens.admin, json });
    responses.push(result.body);
    return result;
  }

  beforeAll(async () => {
    test = await setUpApiTest('git-creds');
    scratch = await mkdtemp(join(tmpdir(), 'api-git-creds-'));
    const work = join(scratch, 'work');
    await createLocalGitRepo(work);
    head = git(work, 'rev-parse', 'HEAD');
    git(scratch, 'clone', '--quiet', '--bare', work, join(scratch, 'served', 'ops.git'));
    const certs = makeTestCertificates('localhost');
    // The worker's git trusts the test CA as it would an internal one: through its environment.
    process.env.GIT_SSL_CAINFO = certs.ca;
    server = await startGitHttpServer(join(scratch, 'served'), certs, { username: 'deployer', password: token });
    repoUrl = `${server.url}/ops.git`;
    const keys = freshKeyring();
    const taskQueue = `${test.taskQueue}-worker`;
    worker = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig: loadKubeConfig(testEnv.kubeconfig), repoCacheDir: join(scratch, 'cache'), secretKeys: keys });
    app = test.appWith({ taskQueue, payloadKeys: keys });
  });

  afterAll(async () => {
    await worker?.close();
    await server?.close();
    await test?.close();
    if (previousCaInfo === undefined) delete process.env.GIT_SSL_CAINFO;
    else process.env.GIT_SSL_CAINFO = previousCaInfo;
    await rm(scratch, { recursive: true, force: true });
  });

  it('are refused naming the field when the server has no payload keys', async () => {
    const result = await call(test.app, 'POST', '/api/admin/ops-repos', {
      token: test.tokens.admin,
      json: { name: `${test.prefix}-nokeys`, url: repoUrl, credentials: { kind: 'https', username: 'deployer', token } },
    });
    responses.push(result.body);
    expect(result.status).toBe(400);
    expect(result.body.error.details).toEqual([{ field: 'credentials', message: expect.stringContaining('DEPLOYER_PAYLOAD_KEYS') }]);
  });

  it('without them, a sync fails saying the remote refused; with them it clones, and the token is nowhere else', async () => {
    const created = await api('POST', '/api/admin/ops-repos', { name: `${test.prefix}-ops`, url: repoUrl });
    expect(created.status).toBe(201);
    expect(created.body.credentials).toBeNull();
    const id = created.body.id as number;

    const refused = await api('POST', `/api/admin/ops-repos/${id}/sync`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/was refused: .*give the ops repo its credentials/);

    const updated = await api('PATCH', `/api/admin/ops-repos/${id}`, { credentials: { kind: 'https', username: 'deployer', token } });
    expect(updated.status).toBe(200);
    expect(updated.body.credentials).toEqual({ kind: 'https', fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{12}$/) });

    const synced = await api('POST', `/api/admin/ops-repos/${id}/sync`);
    expect(synced.status).toBe(200);
    expect(synced.body.sha).toBe(head);
    // The server saw the credentials: git got them from the helper.
    expect(server.authorizations).toContain(`Basic ${Buffer.from(`deployer:${token}`).toString('base64')}`);

    await api('GET', `/api/admin/ops-repos/${id}`);
    await api('GET', '/api/admin/ops-repos');

    const history = await test.client.workflow.getHandle(opsRepoPollerId(repoUrl, 'main')).fetchHistory();
    const stores: Record<string, string> = {
      responses: JSON.stringify(responses),
      audit: JSON.stringify((await test.pool.query('SELECT * FROM audit_log WHERE actor LIKE $1', [`${test.prefix}%`])).rows),
      opsRepo: JSON.stringify((await test.pool.query("SELECT *, encode(credentials_sealed, 'escape') AS sealed_text FROM ops_repos WHERE id = $1", [id])).rows),
      temporal: historyText(history),
      workerLogs: logs.join('\n'),
      // The mirror's config (its remote URL) and everything else git wrote.
      repoCache: await filesUnder(join(scratch, 'cache')),
    };
    expect(stores.temporal).toContain(head);
    for (const [store, text] of Object.entries(stores)) expect(text.includes(token), `${store} holds the token`).toBe(false);
    const audit = await test.pool.query<{ details: { changes?: { credentials?: string } } }>(
      "SELECT details FROM audit_log WHERE actor LIKE $1 AND action = 'ops_repo.update' ORDER BY id DESC LIMIT 1",
      [`${test.prefix}%`],
    );
    expect(audit.rows[0]!.details.changes?.credentials).toBe(`set (https, ${updated.body.credentials.fingerprint})`);
  });

  it('come from a file on the command line, through the API, and list by kind', async () => {
    const server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
    try {
      await writeFile(join(scratch, 'token'), `${token}\n`, { mode: 0o600 });
      const cli = async (...args: string[]) => {
        const out: string[] = [];
        const env = { XDG_CONFIG_HOME: join(scratch, 'home'), TEMPORAL_ADDRESS: '127.0.0.1:9', DEPLOYER_URL: `http://127.0.0.1:${server.port}`, DEPLOYER_TOKEN: test.tokens.admin };
        const code = await runCli(args, { out: (l) => out.push(l), err: (l) => out.push(l), env });
        return { code, text: out.join('\n') };
      };
      const name = `${test.prefix}-cli`;
      const added = await cli('ops-repo', 'add', '--name', name, '--url', repoUrl, '--https-user', 'deployer', '--https-token-file', join(scratch, 'token'));
      expect(added).toMatchObject({ code: 0, text: expect.stringContaining('https credentials set') });
      const listed = await cli('ops-repo', 'list');
      expect(listed.text).toMatch(new RegExp(`${name} .*, https credentials`));
      const synced = await cli('ops-repo', 'sync', '--name', name);
      expect(synced).toMatchObject({ code: 0, text: expect.stringContaining(head.slice(0, 12)) });
      for (const output of [added.text, listed.text, synced.text]) expect(output).not.toContain(token);
    } finally {
      await server.close();
    }
  });
});
