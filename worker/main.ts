// Entry point: `deployer worker` / `tsx worker/main.ts` runs the environment workflows and activities.
import { loadConfig } from '../src/config.js';
import { closePools, onPoolError } from '../src/db/pool.js';
import { createLogger, installTemporalLogging } from '../src/observability/logger.js';
import { exitOnConfigError } from '../src/system/exit-on-config-error.js';
import { exitOnStartFailure } from '../src/system/exit-on-start-failure.js';
import { runWorker, type RunWorkerOptions } from './run-worker.js';

export async function main({ workflowBundle }: Pick<RunWorkerOptions, 'workflowBundle'> = {}): Promise<void> {
  const config = exitOnConfigError(loadConfig);
  const logger = createLogger(config.logLevel, 'deployer-worker');
  onPoolError((error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects on the next query'));
  installTemporalLogging(logger);
  const running = await runWorker(config, logger, { workflowBundle });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.stop());
  await running.done;
  await closePools();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(exitOnStartFailure);
}
