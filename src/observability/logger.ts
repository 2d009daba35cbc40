// JSON logs (pino) for every process, with the Temporal runtime's own logs — which carry
// workflowId, runId and activity details in their metadata — sent through the same logger.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name: string): Logger {
  return pino({ level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}

let runtimeInstalled = false;

/** Routes the Temporal SDK's logs (workflow and activity context included) into `logger`; once per process. */
export function installTemporalLogging(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (logger.level === 'trace' ? 'TRACE' : logger.level === 'debug' ? 'DEBUG' : logger.level === 'info' ? 'INFO' : logger.level === 'warn' ? 'WARN' : 'ERROR') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[entryLevel];
      logger[method]({ ...meta }, message);
    }),
  });
}
