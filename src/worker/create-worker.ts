// A Temporal worker running the environment workflow and the real activities.
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { TASK_QUEUE } from '../../workflows/messages.js';
import { ActivityFailureCounter } from '../observability/activity-failures.js';
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
    interceptors: { activity: [() => ({ inbound: new ActivityFailureCounter() })] },
    ...workerTuning,
  });
  return { worker, connection };
}
