// Sends a request to an environment's workflow through the client SDK (signal-with-start), and
// turns an unreachable Temporal into a 503 the caller can retry with the same request id.
import type { SignalDefinition } from '@temporalio/common';
import { signalEnvironment, type EnvironmentTarget } from '../client/signal-environment.js';
import type { ResolvedApiDeps } from './deps.js';
import { ApiError } from './errors.js';

export async function signalWorkflow<Payload>(
  deps: Pick<ResolvedApiDeps, 'temporalClient' | 'taskQueue' | 'logger'>,
  target: Omit<EnvironmentTarget, 'taskQueue'>,
  signal: SignalDefinition<[Payload]>,
  payload: Payload,
): Promise<string> {
  try {
    const handle = await signalEnvironment(deps.temporalClient, { ...target, taskQueue: deps.taskQueue }, signal, payload);
    return handle.workflowId;
  } catch (error) {
    deps.logger.error({ err: error, signal: signal.name, project: target.project, environment: target.environment }, 'signalling the environment workflow failed');
    throw new ApiError(503, 'workflow_unavailable', `could not signal the workflow of ${target.project}/${target.environment}; retry with the same request id`);
  }
}
