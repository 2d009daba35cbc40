// Postgres restarts under a running worker and API (in this process): idle pool connections die,
// and neither process may crash on it; both serve again once Postgres is back. A dashboard open
// through it loses its live feed's connection with the rest: it is told to read everything again
// once the feed is back, and then follows the next deploy live.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downPostgres, startLocalPostgres } from '../../scripts/stack/postgres.js';
import { runningPid } from '../../scripts/stack/processes.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { createApp } from '../../src/api/app.js';
import { createApiToken } from '../../src/auth/tokens.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool, onPoolError } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { EventReader } from '../support/event-reader.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';


describe('a Postgres restart under a running worker and API', () => {
  const suffix = uniqueSuffix();
  const key = { project: `pg-restart-${suffix}`, environment: 'dev' };
  const dirs: string[] = [];
  const lost: string[] = [];
  let real: RealWorker;
  let core: k8s.CoreV1Api;

  beforeAll(async () => {
    if (runningPid('postgres', 'postgres') === undefined) throw new Error("the Postgres restart test needs the stack's own PostgreSQL (npm test starts it)");
    installQuietRuntime();
    onPoolError((error) => lost.push(error.message));
    const pool = getPool(testEnv.databaseUrl);
    await migrate(pool);
    const cacheDir = await mkdtemp(join(tmpdir(), 'deployer-pg-restart-cache-'));
    const env = await registerSampleEnvironment(pool, key.project, key.environment, { minIntervalMs: 100, driftIntervalMs: 600_000 });
    dirs.push(env.dir, cacheDir);
    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    real = await startRealWorker({ taskQueue: `pg-restart-${suffix}`, pool, kubeConfig, repoCacheDir: cacheDir });
  });
  afterAll(async () => {
    if (runningPid('postgres', 'postgres') === undefined) await startLocalPostgres();
    await real?.close([`deploy/${key.project}/${key.environment}`]);
    await core?.deleteNamespace({ name: `${key.project}-dev` }).catch(() => undefined);
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps both up, and they deploy and answer again once it is back', async () => {
    const pool = getPool(testEnv.databaseUrl);
    const app = createApp({ pool, temporalClient: real.client, taskQueue: `pg-restart-${suffix}`, allowFileUrls: true });
    const first = await real.deployer.deploy({ ...key, imageRef: 'registry.example/pg/web:1', requestedBy: 'faults' });
    expect(await real.deployer.waitForRelease(key, first.requestId, { timeoutMs: 60_000 })).toMatchObject({ status: 'healthy' });
    // Idle connections in the pool: these are what a restart kills.
    await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT pg_sleep(0.05)')));
    // A dashboard watching the fleet: its feed holds a connection of its own, listening.
    const { token } = await createApiToken(pool, { name: `pg-restart-${suffix}-reader`, scopes: ['deploy:read'] });
    const response = await app.request(`/dashboard/events?project=${key.project}`, { headers: { Cookie: `deployer_session=${token}`, Accept: 'text/event-stream' } });
    const events = new EventReader(response.body!.getReader());
    expect((await events.next()).event).toBe('ready');

    expect(await downPostgres()).toBe(true);
    const down = await app.request('/readyz');
    expect(down.status).toBe(503);
    await startLocalPostgres();
    await waitFor('the pool to report the connections it lost', () => lost.length > 0, { timeoutMs: 10_000 });

    const ready = await waitFor('/readyz to answer ready', async () => ((await app.request('/readyz')).status === 200 ? true : undefined), { timeoutMs: 30_000 });
    expect(ready).toBe(true);
    expect((await events.nextOf('resync')).data).toBe('');
    const second = await real.deployer.deploy({ ...key, imageRef: 'registry.example/pg/web:2', requestedBy: 'faults' });
    expect(await real.deployer.waitForRelease(key, second.requestId, { timeoutMs: 90_000 })).toMatchObject({ status: 'healthy', imageRef: 'registry.example/pg/web:2' });
    // The release is healthy in the workflow a moment before its history row is written: wait for
    // the bookkeeping to land, then every row must be final.
    const rows = await waitFor('both history rows to be final', async () => {
      const { rows: current } = await pool.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM deployment_history WHERE project = $1 GROUP BY status ORDER BY status',
        [key.project],
      );
      return current.some((row) => row.status === 'in-progress') ? undefined : current;
    }, { timeoutMs: 30_000 });
    expect(rows).toEqual([{ status: 'healthy', n: '2' }]);
    // The page followed the second deploy: a row that said deploying, then one healthy on image 2.
    const seen: string[] = [];
    for (;;) {
      const { data } = await events.nextOf('fleet');
      seen.push(data);
      if (data.includes('registry.example/pg/web:2') && data.includes('status-healthy')) break;
    }
    expect(seen.some((data) => data.includes('status-deploying'))).toBe(true);
    await events.close();
  });
});
