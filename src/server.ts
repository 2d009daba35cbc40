// Entry point: `deployer server` runs the HTTP API (with /metrics and Swagger UI at /docs).
import { connectToTemporal } from './client/temporal-connection.js';
import { temporalClient } from './client/data-converter.js';
import { createApp } from './api/app.js';
import { startApiServer } from './api/listen.js';
import { loadConfig } from './config.js';
import { closePools, getPool, onPoolError } from './db/pool.js';
import { createLogger } from './observability/logger.js';
import { exitOnConfigError } from './system/exit-on-config-error.js';
import { exitOnStartFailure } from './system/exit-on-start-failure.js';

export async function main(): Promise<void> {
  const config = exitOnConfigError(loadConfig);
  const logger = createLogger(config.logLevel, 'deployer-api');
  onPoolError((error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects on the next query'));
  const connection = await connectToTemporal(config.temporal);
  const app = createApp({
    pool: getPool(config.databaseUrl),
    temporalClient: temporalClient(connection, config.temporal),
    codecCorsOrigins: config.api.codecCorsOrigins,
    temporalUiUrl: config.api.temporalUiUrl,
    taskQueue: config.temporal.taskQueue,
    allowFileUrls: config.allowFileUrls,
    logger,
    payloadKeys: config.temporal.payloadKeys,
    defaultPolicy: config.defaultPolicy,
  });
  const server = await startApiServer({ app, port: config.api.port, host: config.api.host });
  logger.info({ port: server.port, host: config.api.host }, 'API listening');
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  await server.close();
  await connection.close();
  await closePools();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(exitOnStartFailure);
}
