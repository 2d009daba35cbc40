// A stop: scale the environment's workloads to zero and record it. Drift passes keep them there
// until the next deploy resumes them.
import type { EnvironmentRun } from './environment-run.js';
import { errorMessage, errorType } from './environment-run.js';
import type { RequestMeta } from './messages.js';
import { scaleWorkloads } from './steps.js';

export async function runStop(run: EnvironmentRun, meta: RequestMeta): Promise<void> {
  const { project, environment } = run.ref;
  const now = Date.now();
  run.inFlight = { requestId: meta.requestId, kind: 'stop', step: 'load', startedAt: now };
  run.update({ status: 'stopping' });
  run.logRequest({ requestId: meta.requestId, kind: 'stop', outcome: 'running' });
  const key = run.historyKey();
  let error: unknown;
  try {
    const config = await run.step('load', () => run.load());
    await run.step('scale', () =>
      scaleWorkloads(`scale workloads in ns ${config.namespace} to 0`, { project, environment, namespace: config.namespace, action: 'stop', impersonate: config.impersonate }, {}),
    );
    run.update({ stopped: true, status: 'stopped', lastStartedAt: now });
  } catch (caught) {
    error = caught;
    run.update({ status: 'failed' });
  }
  run.inFlight = { ...run.inFlight, step: 'record' };
  const message = error ? errorMessage(error) : undefined;
  run.logRequest({ requestId: meta.requestId, kind: 'stop', outcome: error ? 'failed' : 'stopped', detail: message });
  await run.recordHistory({
    idempotencyKey: key,
    action: 'stop',
    status: error ? 'failed' : 'stopped',
    error: message,
    errorType: errorType(error),
    requestId: meta.requestId,
    requestedBy: meta.requestedBy,
    reason: meta.reason,
    startedAt: new Date(now).toISOString(),
    finishedAt: new Date(Date.now()).toISOString(),
  });
  await run.recordState();
  run.inFlight = undefined;
  run.publish();
}
