// A Temporal worker running the environment workflow and the real activities.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { TASK_QUEUE } from '../../workflows/messages.js';
import { reconcileSignaller } from '../client/signal-reconcile.js';
import { ActivityFailureCounter } from '../observability/activity-failures.js';
import { DomainFailureInterceptor } from '../observability/domain-failures-interceptor.js';
import { workerTuning } from '../worker-tuning.js';

export interface DeployerWorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue?: string;
  /** what the activities use; signalReconcile defaults to signals through this worker's own client */
  deps: Omit<ActivityDeps, 'signalReconcile'> & Partial<Pick<ActivityDeps, 'signalReconcile'>>;
  /** a pre-built bundle (tests bundle once per suite); otherwise the worker bundles workflows/ */
  workflowBundle?: { code: string };
}

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** The worker, its connection, and a client (activities signal environments through it); the caller closes both connections. */
export async function createDeployerWorker(options: DeployerWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection; client: Client }> {
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const client = new Client({ connection: await Connection.connect({ address: options.temporalAddress }), namespace: options.namespace });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities({ signalReconcile: reconcileSignaller(client), ...options.deps }),
    // The counter is outermost, so it counts failures by the type the mapping gives them.
    interceptors: { activity: [() => ({ inbound: new ActivityFailureCounter() }), () => ({ inbound: new DomainFailureInterceptor() })] },
    ...workerTuning,
  });
  return { worker, connection, client };
}
