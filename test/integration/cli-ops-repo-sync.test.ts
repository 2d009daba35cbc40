// `deployer ops-repo sync` asks the branch's poller on a worker to fetch now and prints the head it
// answers, as the API's sync route does: a real worker, a real git repository on disk. A branch
// that does not exist, or no worker on the task queue, ends in exit code 1 saying which.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { opsRepoPollerId } from '../../src/client/ops-repo-poller.js';
import { migrate } from '../../src/db/migrate.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { createLocalGitRepo, git } from '../api/support.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

describe('deployer ops-repo sync', () => {
  const suffix = uniqueSuffix();
  const name = `cli-sync-${suffix}`;
  const taskQueue = `cli-sync-${suffix}`;
  // The worker's own pool: each CLI command closes every pool of getPool's when it ends.
  let pool: pg.Pool;
  let real: RealWorker;
  let scratch: string;
  let repoDir: string;
  let url: string;

  async function cli(args: string[], queue = taskQueue) {
    const out: string[] = [];
    const err: string[] = [];
    const env = {
      ...process.env,
      DATABASE_URL: testEnv.databaseUrl,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      DEPLOYER_TASK_QUEUE: queue,
      DEPLOYER_ALLOW_FILE_URLS: 'true',
      DEPLOYER_USER: 'cli-test',
      // the break-glass path straight to the database, the way administration worked before the API
      DEPLOYER_DIRECT: '1',
    };
    const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    installQuietRuntime();
    pool = new pg.Pool({ connectionString: testEnv.databaseUrl });
    await migrate(pool);
    scratch = await mkdtemp(join(tmpdir(), 'cli-sync-'));
    repoDir = join(scratch, 'ops');
    url = await createLocalGitRepo(repoDir);
    real = await startRealWorker({ taskQueue, pool, kubeConfig: loadKubeConfig(testEnv.kubeconfig), repoCacheDir: join(scratch, 'cache') });
  });
  afterAll(async () => {
    await real?.close(['main', 'gone', 'unpolled'].map((branch) => opsRepoPollerId(url, branch)));
    await pool?.query('DELETE FROM ops_repos WHERE name LIKE $1', [`${name}%`]).catch(() => undefined);
    await pool?.end();
    await rm(scratch, { recursive: true, force: true });
  });

  it("prints the head the worker's poller fetched and records it on the row", async () => {
    expect((await cli(['ops-repo', 'add', '--name', name, '--url', url])).code).toBe(0);
    const synced = await cli(['ops-repo', 'sync', '--name', name]);
    const head = git(repoDir, 'rev-parse', 'HEAD');
    expect(synced).toMatchObject({ code: 0, out: `${name}: main is at ${head}` });
    const { rows } = await pool.query<{ last_sha: string }>('SELECT last_sha FROM ops_repos WHERE name = $1', [name]);
    expect(rows).toEqual([{ last_sha: head }]);
  });

  it('exits 1 naming a branch that does not exist', async () => {
    expect((await cli(['ops-repo', 'add', '--name', `${name}-gone`, '--url', url, '--branch', 'gone'])).code).toBe(0);
    const synced = await cli(['ops-repo', 'sync', '--name', `${name}-gone`]);
    expect(synced.code).toBe(1);
    expect(synced.err).toContain('"gone" does not exist');
  });

  it('exits 1 within its --timeout saying no worker answered when none polls the task queue', async () => {
    const idle = `${taskQueue}-idle`;
    expect((await cli(['ops-repo', 'add', '--name', `${name}-idle`, '--url', url, '--branch', 'unpolled'], idle)).code).toBe(0);
    const askedAt = Date.now();
    const synced = await cli(['ops-repo', 'sync', '--name', `${name}-idle`, '--timeout', '1'], idle);
    expect(Date.now() - askedAt).toBeLessThan(10_000);
    expect(synced.code).toBe(1);
    expect(synced.err).toContain(`no worker answered within 1 s: is a deployer worker running on task queue "${idle}"`);
  });
});
