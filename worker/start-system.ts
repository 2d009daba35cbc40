// Everything `npm start` runs in one process on top of a stack that is already up: migrations,
// the sample project, the worker, the HTTP API (which also serves the worker's metrics), an admin
// token, and a first deployment of the sample. The end-to-end test starts the system through
// this same function.
import { temporalClient } from '../src/client/data-converter.js';
import { connectToTemporal } from '../src/client/temporal-connection.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { EnvironmentPolicy } from '../src/domain/vocabulary.js';
import { createApp } from '../src/api/app.js';
import { startApiServer } from '../src/api/listen.js';
import { createApiToken } from '../src/auth/tokens.js';
import { findActiveToken } from '../src/auth/find-token.js';
import { DeployerClient } from '../src/client/deployer-client.js';
import type { Config } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { closePools, getPool, onPoolError } from '../src/db/pool.js';
import type { Logger } from '../src/observability/logger.js';
import { runWorker } from './run-worker.js';
import { ensureSampleRepo, registerSample, sample as defaultSample, writeSecretFile, type SampleTarget } from '../src/system/sample.js';

export interface StartSystemOptions {
  config: Config;
  logger: Logger;
  /** where the sample's git repository lives */
  sampleRepoDir: string;
  /** which environment the sample becomes (default sample/dev) */
  sample?: SampleTarget;
  samplePolicy?: Partial<EnvironmentPolicy>;
  /** the admin token is kept here (owner-only) and reused while it is valid */
  adminTokenFile: string;
  /** how long to wait for the sample to become healthy */
  sampleTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

export interface RunningSystem {
  apiUrl: string;
  adminToken: string;
  sampleImage: string;
  stop(): Promise<void>;
}

async function ensureAdminToken(pool: ReturnType<typeof getPool>, file: string): Promise<string> {
  if (existsSync(file)) {
    const saved = (await readFile(file, 'utf8')).trim();
    const found = await findActiveToken(pool, saved);
    if (found?.scopes.includes('admin')) return saved;
  }
  const { token } = await createApiToken(pool, { name: 'local admin (npm start)', scopes: ['admin'] });
  await writeSecretFile(file, `${token}\n`);
  return token;
}

export async function startSystem(options: StartSystemOptions): Promise<RunningSystem> {
  const { config, logger } = options;
  const sample = options.sample ?? defaultSample;
  const say = options.onProgress ?? ((line: string) => logger.info(line));
  onPoolError((error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects on the next query'));
  const pool = getPool(config.databaseUrl);
  const applied = await migrate(pool);
  say(applied.length ? `applied migrations ${applied.join(', ')}` : 'database schema is up to date');

  const repoUrl = await ensureSampleRepo(options.sampleRepoDir);
  await registerSample(pool, sample, repoUrl, options.samplePolicy);
  say(`sample ops repository ${repoUrl} registered as ${sample.project}/${sample.environment}`);

  const worker = await runWorker(config, logger, { serveMetrics: false });
  const connection = await connectToTemporal(config.temporal);
  const client = temporalClient(connection, config.temporal);
  const app = createApp({
    pool,
    temporalClient: client,
    codecCorsOrigins: config.api.codecCorsOrigins,
    temporalUiUrl: config.api.temporalUiUrl,
    taskQueue: config.temporal.taskQueue,
    allowFileUrls: config.allowFileUrls,
    logger,
    payloadKeys: config.temporal.payloadKeys,
  });
  const server = await startApiServer({ app, port: config.api.port, host: config.api.host });
  const apiUrl = `http://${config.api.host}:${server.port}`;
  say(`API listening on ${apiUrl}`);
  const adminToken = await ensureAdminToken(pool, options.adminTokenFile);

  const stop = async () => {
    await server.close();
    await worker.stop();
    await connection.close();
    await closePools();
  };

  try {
    const deployer = new DeployerClient({ client, taskQueue: config.temporal.taskQueue });
    const state = await deployer.state(sample);
    if (state?.status === 'healthy' && state.current && !state.stopped) {
      say(`sample already healthy: ${state.current.imageRef}`);
      return { apiUrl, adminToken, sampleImage: state.current.imageRef, stop };
    }
    const { requestId } = await deployer.deploy({ ...sample, imageRef: sample.image, requestedBy: 'npm start', reason: 'first deployment of the sample' });
    say(`deploying ${sample.image} to ${sample.project}/${sample.environment} (request ${requestId})…`);
    const release = await deployer.waitForRelease(sample, requestId, {
      timeoutMs: options.sampleTimeoutMs ?? 5 * 60_000,
      onProgress: (progress) => say(`  ${progress.summary}`),
    });
    return { apiUrl, adminToken, sampleImage: release.imageRef, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
