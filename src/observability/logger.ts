// JSON logs (pino) for every process, with the Temporal runtime's own logs — which carry
// workflowId, runId and activity details in their metadata — sent through the same logger.
// Core's logs (the Rust part of the SDK) are forwarded too: left on stderr, a workflow task that
// core fails (a nondeterminism error after a workflow change without patched()) would show only
// as a plain-text line there, without the workflow id, seen by no log query.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { reportWorkflowTaskFailure } from './report-workflow-task-failure.js';
import { WorkflowIdsByRun } from './workflow-ids-by-run.js';
import { workflowTaskFailureOf } from './workflow-task-failure.js';

export type { Logger };

export function createLogger(level: string, name: string): Logger {
  return pino({
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The SDK logs errors under `error` ("Workflow failed", "Failed to process Workflow
    // Activation"); without a serializer they come out as {}.
    serializers: { error: pino.stdSerializers.err },
  });
}

const pinoMethod = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Core's level for a pino level, but never quieter than WARN: core reports failed workflow tasks as warnings. */
function coreLevelFor(level: string): LogLevel {
  return level === 'trace' ? 'TRACE' : level === 'debug' ? 'DEBUG' : level === 'info' ? 'INFO' : 'WARN';
}

let runtimeInstalled = false;

/** Routes the Temporal SDK's and core's logs (workflow and activity context included) into `logger`; once per process. */
export function installTemporalLogging(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const runs = new WorkflowIdsByRun();
  Runtime.install({
    // Every entry comes through here, trace included (pino drops what is below its level): the
    // worker's trace entries say which workflow each run is, and a failed workflow task is
    // reported and counted whatever the log level.
    logger: new DefaultLogger('TRACE', ({ level, message, meta }) => {
      runs.learn(meta);
      const failure = workflowTaskFailureOf(message, meta);
      if (failure) {
        reportWorkflowTaskFailure(logger, { ...failure, workflowId: failure.workflowId ?? runs.workflowIdOf(failure.runId) });
        return;
      }
      const method = pinoMethod[level];
      if (logger.isLevelEnabled(method)) logger[method]({ ...meta }, message);
    }),
    telemetryOptions: { logging: { filter: { core: coreLevelFor(logger.level), other: 'WARN' }, forward: {} } },
  });
}
