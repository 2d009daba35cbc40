// A Temporal worker running the environment workflow and the real activities.
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { TASK_QUEUE } from '../../workflows/messages.js';
import { ActivityFailureCounter } from '../observability/activity-failures.js';
import { DomainFailureInterceptor } from '../observability/domain-failures-interceptor.js';
import { workerTuning } from '../worker-tuning.js';

export interface DeployerWorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** a pre-built bundle (tests bundle once per suite); otherwise the worker bundles workflows/ */
  workflowBundle?: { code: string };
}

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export async function createDeployerWorker(options: DeployerWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities(options.deps),
    // The counter is outermost, so it counts failures by the type the mapping gives them.
    interceptors: { activity: [() => ({ inbound: new ActivityFailureCounter() }), () => ({ inbound: new DomainFailureInterceptor() })] },
    ...workerTuning,
  });
  return { worker, connection };
}
