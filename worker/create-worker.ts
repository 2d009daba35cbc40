// A Temporal worker running the environment workflow and the real activities.
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { backgroundTaskQueue, TASK_QUEUE } from '../workflows/messages.js';
import { reconcileSignaller } from '../src/client/signal-reconcile.js';
import { ActivityFailureCounter } from '../src/observability/activity-failures.js';
import { DomainFailureInterceptor } from '../src/observability/domain-failures-interceptor.js';
import type { WorkerSizing } from '../src/config.js';
import { connecting, connectToTemporal, temporalConnectionOptions, type TemporalEndpoint } from '../src/client/temporal-connection.js';
import { workerTuning } from '../src/worker-tuning.js';
import { deployerDataConverter, temporalClient } from '../src/client/data-converter.js';
import { LiveStatusWriter } from './live-status-writer.js';

export interface DeployerWorkerOptions {
  /** where Temporal is, and the TLS or API key to reach it with */
  temporal: TemporalEndpoint;
  namespace: string;
  taskQueue?: string;
  /** what the activities use; signalReconcile defaults to signals through this worker's own client */
  deps: Omit<ActivityDeps, 'signalReconcile'> & Partial<Pick<ActivityDeps, 'signalReconcile'>>;
  /** how much this worker takes on; defaults fit one environment per test as well as a fleet */
  sizing?: Partial<WorkerSizing>;
  /** a pre-built bundle (tests bundle once per suite); otherwise the worker bundles workflows/ */
  workflowBundle?: { code: string };
}

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

// Activity slots of the background queue (drift passes, the cluster watcher, ops repo polls):
// enough for a burst of reconciles, and never taken from deploys, which have the main queue's
// slots to themselves.
const BACKGROUND_ACTIVITY_SLOTS = 16;

/** The workers of the main and background task queues, run and stopped together. */
export class DeployerWorker {
  constructor(
    private readonly main: Worker,
    private readonly background: Worker,
    private readonly liveStatuses: LiveStatusWriter,
  ) {}

  run(): Promise<void> {
    return Promise.all([this.main.run(), this.background.run()])
      .then(() => undefined)
      .finally(() => this.liveStatuses.close());
  }

  shutdown(): void {
    for (const worker of [this.main, this.background]) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  getState(): ReturnType<Worker['getState']> {
    return this.main.getState();
  }
}

/** The workers, their connection, and a client (activities signal environments through it); the caller closes both connections. */
export async function createDeployerWorker(options: DeployerWorkerOptions): Promise<{ worker: DeployerWorker; connection: NativeConnection; client: Client }> {
  const connection = await connecting(options.temporal, () => NativeConnection.connect(temporalConnectionOptions(options.temporal)));
  const client = temporalClient(await connectToTemporal(options.temporal), { namespace: options.namespace, payloadKeys: options.temporal.payloadKeys });
  // Workflow code is bundled with the failure converter when the worker bundles it; a pre-built
  // bundle keeps the one it was built with.
  const dataConverter = deployerDataConverter(options.temporal.payloadKeys);
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const activities = createActivities({ signalReconcile: reconcileSignaller(client, taskQueue), ...options.deps });
  // The counter is outermost, so it counts failures by the type the mapping gives them.
  const liveStatuses = new LiveStatusWriter(options.deps.pool);
  const sinks = { environments: { ...workerTuning.sinks.environments, live: liveStatuses.sink() } };
  const interceptors = { activity: [() => ({ inbound: new ActivityFailureCounter() }), () => ({ inbound: new DomainFailureInterceptor() })] };
  const main = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    dataConverter,
    activities,
    interceptors,
    ...(options.sizing?.maxCachedWorkflows ? { maxCachedWorkflows: options.sizing.maxCachedWorkflows } : {}),
    ...(options.sizing?.activitySlots ? { maxConcurrentActivityTaskExecutions: options.sizing.activitySlots } : {}),
    ...(options.sizing?.workflowTaskSlots ? { maxConcurrentWorkflowTaskExecutions: options.sizing.workflowTaskSlots } : {}),
    ...(options.sizing?.workflowTaskPollers
      ? { maxConcurrentWorkflowTaskPolls: Math.min(options.sizing.workflowTaskPollers, options.sizing.workflowTaskSlots ?? 40) }
      : {}),
    ...(options.sizing?.newWorkflowPollShare ? { nonStickyToStickyPollRatio: options.sizing.newWorkflowPollShare } : {}),
    ...workerTuning,
    sinks,
  });
  const background = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: backgroundTaskQueue(taskQueue),
    dataConverter,
    activities,
    interceptors,
    maxConcurrentActivityTaskExecutions: options.sizing?.backgroundActivitySlots ?? BACKGROUND_ACTIVITY_SLOTS,
    ...workerTuning,
  });
  return { worker: new DeployerWorker(main, background, liveStatuses), connection, client };
}
