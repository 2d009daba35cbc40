// A worker on its own task queue running the real environment workflow against the stack's
// Temporal dev server, with recording activities in place of the real ones.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { signalEnvironment } from '../../src/client/signal-environment.js';
import type { environmentWorkflow } from '../../workflows/environment.js';
import { backgroundTaskQueue, cancelSignal, deploySignal, reconcileSignal, rollbackSignal, stateQuery, stopSignal, type ReconcileRequest, type RequestMeta } from '../../workflows/messages.js';
import type { EnvironmentState } from '../../workflows/state.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { RecordingActivities, type RecordingOptions } from './recording-activities.js';
import { workerTuning } from '../../src/worker-tuning.js';

export const historiesDir = fileURLToPath(new URL('../replay/histories', import.meta.url));

let bundle: Promise<WorkflowBundle> | undefined;
export function workflowBundle(): Promise<WorkflowBundle> {
  installQuietRuntime();
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

/**
 * A harness with a running worker per test, closed after the test; call once at the top of a
 * test file and start one in each test with the function it returns.
 */
export function harnessPerTest(): (options?: RecordingOptions) => Promise<WorkflowHarness> {
  let current: WorkflowHarness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options = {}) => {
    current = await WorkflowHarness.create(options);
    await current.startWorker();
    return current;
  };
}

export class WorkflowHarness {
  readonly taskQueue = `wf-test-${uniqueSuffix()}`;
  readonly project = `wt-${uniqueSuffix()}`;
  readonly recorder: RecordingActivities;
  private worker?: Worker;
  private backgroundWorker?: Worker;
  private running?: Promise<void>;
  private requestCounter = 0;

  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    private readonly nativeConnection: NativeConnection,
    private readonly address: string,
    options: RecordingOptions,
  ) {
    this.recorder = new RecordingActivities(options);
  }

  static async create(options: RecordingOptions = {}, address = testEnv.temporalAddress): Promise<WorkflowHarness> {
    installQuietRuntime();
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: testEnv.temporalNamespace });
    const nativeConnection = await NativeConnection.connect({ address });
    return new WorkflowHarness(client, connection, nativeConnection, address, options);
  }

  /** A worker of the environment's task queue and one of its background queue (drift passes), as the real worker runs them. */
  async startWorker(): Promise<void> {
    const activities = this.recorder.activities();
    this.worker = await Worker.create({
      connection: this.nativeConnection,
      namespace: testEnv.temporalNamespace,
      taskQueue: this.taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      shutdownGraceTime: '1 second',
      ...workerTuning,
    });
    this.backgroundWorker = await Worker.create({
      connection: this.nativeConnection,
      namespace: testEnv.temporalNamespace,
      taskQueue: backgroundTaskQueue(this.taskQueue),
      activities,
      shutdownGraceTime: '1 second',
      ...workerTuning,
    });
    this.running = Promise.all([this.worker.run(), this.backgroundWorker.run()]).then(() => undefined);
  }

  /** Stops the workers the way a crash-and-restart would: in-flight activities are abandoned to retries. */
  async stopWorker(): Promise<void> {
    this.worker?.shutdown();
    this.backgroundWorker?.shutdown();
    await this.running;
    this.worker = undefined;
    this.backgroundWorker = undefined;
  }

  workflowId(environment: string): string {
    return `deploy/${this.project}/${environment}`;
  }

  private meta(prefix: string): RequestMeta {
    this.requestCounter += 1;
    return { requestId: `${prefix}-${this.requestCounter}-${uniqueSuffix()}`, requestedBy: 'workflow-test' };
  }

  private target(environment: string) {
    return { project: this.project, environment, taskQueue: this.taskQueue, policy: this.recorder.policy };
  }

  async deploy(environment: string, imageRef: string, extra: { valuesOverride?: Record<string, unknown>; requestId?: string; requestedBy?: string; overrideFreeze?: boolean; reason?: string } = {}) {
    const meta = this.meta('deploy');
    const request = { ...meta, imageRef, ...extra, requestId: extra.requestId ?? meta.requestId };
    await signalEnvironment(this.client, this.target(environment), deploySignal, request);
    return request.requestId;
  }

  async rollback(environment: string, toRelease?: number, extra: { overrideFreeze?: boolean } = {}) {
    const request = { ...this.meta('rollback'), toRelease, ...extra };
    await signalEnvironment(this.client, this.target(environment), rollbackSignal, request);
    return request.requestId;
  }

  async stop(environment: string, extra: { reason?: string } = {}) {
    const request = { ...this.meta('stop'), ...extra };
    await signalEnvironment(this.client, this.target(environment), stopSignal, request);
    return request.requestId;
  }

  /** `requestId` resends an earlier cancel, as a retrying pipeline would. */
  async cancel(environment: string, extra: { reason?: string; requestId?: string } = {}) {
    const meta = this.meta('cancel');
    const request = { ...meta, ...extra, requestId: extra.requestId ?? meta.requestId };
    await signalEnvironment(this.client, this.target(environment), cancelSignal, request);
    return request.requestId;
  }

  /** What the ops repo poller and the cluster watcher send: a signal to a running workflow only. */
  async reconcile(environment: string, request: ReconcileRequest): Promise<void> {
    await this.handle(environment).signal(reconcileSignal, request);
  }

  handle(environment: string): WorkflowHandle<typeof environmentWorkflow> {
    return this.client.workflow.getHandle(this.workflowId(environment));
  }

  state(environment: string): Promise<EnvironmentState> {
    return this.handle(environment).query(stateQuery);
  }

  async waitForState(environment: string, what: string, predicate: (state: EnvironmentState) => boolean, timeoutMs = 30_000): Promise<EnvironmentState> {
    return waitFor(what, async () => {
      const state = await this.state(environment);
      return predicate(state) ? state : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  async close(): Promise<void> {
    if (process.env.DEPLOYER_RECORD_HISTORIES) await this.exportHistories();
    for await (const execution of this.client.workflow.list({ query: `WorkflowId STARTS_WITH "deploy/${this.project}/" AND ExecutionStatus = "Running"` })) {
      await this.client.workflow.getHandle(execution.workflowId).terminate('test finished').catch(() => undefined);
    }
    await this.stopWorker();
    await this.nativeConnection.close();
    await this.connection.close();
  }

  /**
   * Writes every run of this harness's workflows to test/replay/histories/, named after the test,
   * for the replay suite (`npm run test:record-histories`). A history already there is kept: it
   * was recorded from older workflow code and is what proves a patched() path still replays.
   * `DEPLOYER_RECORD_HISTORIES=overwrite` replaces it anyway.
   */
  private async exportHistories(): Promise<void> {
    const testName = (expect.getState().currentTestName ?? 'unnamed').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
    const overwrite = process.env.DEPLOYER_RECORD_HISTORIES === 'overwrite';
    await mkdir(historiesDir, { recursive: true });
    let index = 0;
    for await (const execution of this.client.workflow.list({ query: `WorkflowId STARTS_WITH "deploy/${this.project}/"` })) {
      const history = await this.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const environment = execution.workflowId.split('/').at(-1);
      index += 1;
      const file = join(historiesDir, `${testName}--${environment}-${index}.json`);
      try {
        await writeFile(file, historyToJSON(history), { flag: overwrite ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        console.warn(`kept the recorded history ${file}: histories of older workflow code guard its patched() paths (DEPLOYER_RECORD_HISTORIES=overwrite replaces it)`);
      }
    }
  }

  get serverAddress(): string {
    return this.address;
  }
}
