// The SDK pipelines use. A deploy, rollback or stop is an update-with-start to the environment's
// workflow, which answers once taken (or refused); a cancel is a signal-with-start; an approve or
// a reject is an update of the running workflow, which holds the request at its approval gate.
// `waitForRelease` follows a request through the workflow's `state` query until it is healthy,
// or says exactly why it is not.
//
// A pipeline step:
//
//   const deployer = await DeployerClient.connect({ address: process.env.TEMPORAL_ADDRESS! });
//   const { requestId } = await deployer.deploy({
//     project: 'shop', environment: 'staging', imageRef: `registry.example/shop/web:${sha}`,
//     requestedBy: 'ci', reason: `build ${buildNumber}`,
//   });
//   const release = await deployer.waitForRelease({ project: 'shop', environment: 'staging' }, requestId, {
//     timeoutMs: 10 * 60_000,
//     onProgress: (p) => console.log(p.summary),
//   });
//   console.log(`deployed ${release.imageRef} (ops ${release.opsSha})`);
//   await deployer.close();
import { type Client, type Connection, WorkflowNotFoundError } from '@temporalio/client';
import { temporalClient } from './data-converter.js';
import { connectToTemporal, type TemporalEndpoint } from './temporal-connection.js';
import { checkRequest, InvalidRequestError } from '../domain/request-rules.js';
import { isTransientTemporalError, retryTransient } from './transient.js';
import { pendingOutage } from './pending-outage.js';
import { pendingActivityDetails } from './heartbeat-details.js';
import { rolloutProgressIn } from './rollout-progress.js';
import { describeWedge, findWorkflowWedge } from './workflow-wedge.js';
import { randomUUID } from 'node:crypto';
import type { EnvironmentRef, RolloutProgress } from '../domain/vocabulary.js';
import { previewWorkflowId, type ReleasePreview, type ReleasePreviewRequest } from '../domain/release-preview.js';
import type { previewWorkflow } from '../../workflows/preview.js';
import { decideApproval, type Decision } from './decide-approval.js';

export type { EnvironmentRef } from '../domain/vocabulary.js';
import {
  cancelSignal,
  deploySignal,
  deployUpdate,
  environmentWorkflowId,
  rollbackSignal,
  rollbackUpdate,
  stateQuery,
  stopSignal,
  stopUpdate,
  TASK_QUEUE,
  type ApprovalAnswer,
  type ApprovalDecision,
  type RequestMeta,
} from '../../workflows/messages.js';
import type { EnvironmentState, Release, RequestOutcome as LoggedOutcome, RequestReceipt } from '../../workflows/state.js';
import { signalEnvironment, type EnvironmentTarget } from './signal-environment.js';
import { requestWithStart, type RequestMessages } from './request-with-start.js';
import { isFinal, requestIn, type RequestAnswer } from './request-standing.js';

export { isFinal, requestIn, type RequestAnswer } from './request-standing.js';
export { ApprovalRefusedError, NotAwaitingApprovalError } from './decide-approval.js';
export type { ApprovalAnswer } from '../../workflows/messages.js';

export interface RequestOptions extends EnvironmentRef {
  /** who asks: a pipeline name, a user; shown in history and the audit log */
  requestedBy: string;
  reason?: string;
  /** reuse one to make a retried call harmless; generated otherwise */
  requestId?: string;
}

/** A deploy or a rollback: what may wait at the environment's gates. */
export interface GatedOptions extends RequestOptions {
  /**
   * let this request through a freeze window; needs a reason. Through the API only an admin token
   * may; straight to Temporal (DeployerClient), whoever reaches Temporal can.
   */
  overrideFreeze?: boolean;
}

export interface DeployOptions extends GatedOptions {
  imageRef: string;
  valuesOverride?: Record<string, unknown>;
  /**
   * write-only secrets to store (a value) or delete (null) before the deploy: only through the API
   * (HttpDeployerClient), which keeps them in the database; a signal would put them in Temporal's history
   */
  secrets?: Record<string, string | null>;
}

export interface RollbackOptions extends GatedOptions {
  toRelease?: number;
}

/** A decision on the deploy or rollback waiting at an environment's approval gate. */
export interface ApprovalOptions extends EnvironmentRef {
  /** the request waiting for approval: the requestId its deploy or rollback answered */
  requestId: string;
  /**
   * who decides, compared with who asked: the workflow refuses a requester deciding on their own
   * request unless the policy allows self-approval. Through the API the token's name decides
   * instead, as it asks for deploys; this is only checked.
   */
  decidedBy: string;
  reason?: string;
}

/** A preview of a deploy: the image and the release's values, nothing sent to the environment. */
export type PreviewOptions = Pick<DeployOptions, 'project' | 'environment' | 'imageRef' | 'valuesOverride' | 'requestedBy'> & {
  /** how long to wait for a worker's answer (DeployerClient; the API waits 90 s) */
  timeoutMs?: number;
};

export interface Accepted {
  requestId: string;
  workflowId: string;
  /**
   * What the workflow answered when it took the request (a deploy, rollback or stop, through
   * update-with-start):
   * `pending`. A request id the run took before is answered as it was then (Temporal keeps the
   * first answer of an update id); one an earlier run took, with what became of it. Absent when
   * the request went as a signal, which the workflow takes when it next runs.
   */
  outcome?: LoggedOutcome;
  /** where the request stands in the order the workflow took requests in (a request it answered) */
  receipt?: RequestReceipt;
}

export interface ReleaseProgress {
  request?: RequestAnswer;
  /** the workflow's whole state (DeployerClient; the HTTP client has only the summary) */
  state?: EnvironmentState;
  /** the workloads' rollout counts while the wait for health runs */
  workloads: RolloutProgress[];
  /** one line for a log: step, replicas ready */
  summary: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
  onProgress?: (progress: ReleaseProgress) => void;
  /**
   * The receipt `deploy`, `rollback` or `stop` answered (DeployerClient remembers those of its own
   * requests): with it a request the workflow's log no longer lists is known superseded at once.
   */
  receipt?: RequestReceipt;
}

/**
 * What both clients tell of a release: the HTTP API answers these fields, the workflow more. `seq`
 * is missing only when the environment's history alone still tells of the release (the workflow
 * no longer lists it among its recent ones).
 */
export type ReleaseSummary = Pick<Release, 'imageRef' | 'opsSha' | 'status' | 'error'> & { seq?: number };

/**
 * The calls a pipeline makes, the same through Temporal (DeployerClient) and through the HTTP API
 * with a token (HttpDeployerClient). Both check a request by the rules every door applies and
 * reject it with an InvalidRequestError before sending anything; waitForRelease rejects with a
 * ReleaseFailedError saying why a request did not end healthy.
 */
export interface Deployer {
  deploy(options: DeployOptions): Promise<Accepted>;
  rollback(options: RollbackOptions): Promise<Accepted>;
  /** What deploying an image would change, per object and managed field; changes nothing. */
  preview(options: PreviewOptions): Promise<ReleasePreview>;
  stop(options: RequestOptions): Promise<Accepted>;
  cancel(options: RequestOptions): Promise<Accepted>;
  /**
   * Approves the request waiting at the approval gate, which then goes ahead. Rejects when the
   * workflow refuses the decision (not waiting for that request, superseded, self-approval) or no
   * workflow runs: DeployerClient with ApprovalRefusedError or NotAwaitingApprovalError,
   * HttpDeployerClient with an ApiRequestError 409 (approval_refused, not_awaiting_approval).
   */
  approve(options: ApprovalOptions): Promise<ApprovalAnswer>;
  /** Rejects the request waiting at the approval gate, which ends refused; fails as approve does. */
  reject(options: ApprovalOptions): Promise<ApprovalAnswer>;
  /** Where request `requestId` ended (healthy, failed, stopped, superseded, …), whatever it was. */
  waitForOutcome(key: EnvironmentRef, requestId: string, options?: WaitOptions): Promise<RequestOutcome>;
  waitForRelease(key: EnvironmentRef, requestId: string, options?: WaitOptions): Promise<ReleaseSummary>;
  close(): Promise<void>;
}

/** How a request ended: its outcome, why, and the release it made, if any. */
export interface RequestOutcome<R extends ReleaseSummary = ReleaseSummary> {
  outcome: string;
  detail?: string;
  release?: R;
}

/** The healthy release a request ended with, or a ReleaseFailedError saying why there is none: waitForRelease of both clients. */
export function healthyRelease<R extends ReleaseSummary>(requestId: string, { outcome, detail, release }: RequestOutcome<R>): R {
  if (outcome === 'healthy' && release) return release;
  throw new ReleaseFailedError(requestId, outcome, detail ?? release?.error ?? 'no reason given', release);
}

/** A client's approve or reject: the decision checked by the rules every door applies, then sent as `send` sends it. */
export function decisionCall(send: (key: EnvironmentRef, request: ApprovalDecision) => Promise<ApprovalAnswer>): (options: ApprovalOptions) => Promise<ApprovalAnswer> {
  return async ({ project, environment, requestId, decidedBy, reason }) => {
    checkRequest({ project, environment, requestId, decidedBy, reason });
    return send({ project, environment }, { requestId, decidedBy, ...(reason === undefined ? {} : { reason }) });
  };
}

/** The request ended without a healthy release: `outcome` and `reason` say why. */
export class ReleaseFailedError extends Error {
  constructor(
    readonly requestId: string,
    readonly outcome: string,
    readonly reason: string,
    readonly release?: ReleaseSummary,
  ) {
    super(`request ${requestId} ${outcome}: ${reason}`);
    this.name = 'ReleaseFailedError';
  }
}

export interface DeployerClientOptions {
  client: Client;
  /** the workers' task queue; `deployer` unless the deployment uses another */
  taskQueue?: string;
  /**
   * How long a request (deploy, rollback, stop, cancel) keeps being resent, with the same request
   * id, while Temporal is unreachable; default 60 s. Waits ride out outages up to their own timeout.
   */
  signalRetryMs?: number;
  /**
   * How long a deploy, rollback or stop waits for a worker to take its update before it goes as a
   * signal instead (workers down or busy restarting); default 10 s.
   */
  acceptTimeoutMs?: number;
}

/** Receipts of its own requests a client keeps, for the waits that follow them. */
const MAX_RECEIPTS = 1_000;

/** How often a wait checks that the workflow it polls is still running. */
const STATUS_CHECK_MS = 5_000;

export class DeployerClient implements Deployer {
  private readonly ownedConnection?: Connection;
  /** by workflow id and request id, oldest first */
  private readonly receipts = new Map<string, RequestReceipt>();

  constructor(
    private readonly options: DeployerClientOptions,
    ownedConnection?: Connection,
  ) {
    this.ownedConnection = ownedConnection;
  }

  /**
   * Connects to Temporal at `address`, over TLS when `tls` is given (a private CA, a server name,
   * a client certificate for mutual TLS) or with an `apiKey` (Temporal Cloud; implies TLS).
   * Throws TemporalConnectError, saying how it tried and what to set, when Temporal cannot be reached.
   */
  static async connect({
    namespace = 'default',
    taskQueue,
    connectTimeout,
    ...endpoint
  }: TemporalEndpoint & { namespace?: string; taskQueue?: string; /** how long to try (default 10 s) */ connectTimeout?: string | number }): Promise<DeployerClient> {
    const connection = await connectToTemporal(endpoint, { connectTimeout });
    return new DeployerClient({ client: temporalClient(connection, { namespace, payloadKeys: endpoint.payloadKeys }), taskQueue }, connection);
  }

  async close(): Promise<void> {
    await this.ownedConnection?.close();
  }

  private target(key: EnvironmentRef): EnvironmentTarget {
    return { project: key.project, environment: key.environment, taskQueue: this.options.taskQueue };
  }

  /**
   * The request's id and who asks, once its fields pass the rules every door applies (the API's
   * too): an InvalidRequestError names each field at fault, and nothing is sent.
   */
  private meta(options: GatedOptions, release: Partial<Pick<DeployOptions, 'imageRef' | 'valuesOverride'>> = {}) {
    const { project, environment, requestedBy, reason, requestId, overrideFreeze } = options;
    checkRequest({ project, environment, requestedBy, reason, requestId, overrideFreeze, ...release });
    return { requestId: requestId ?? randomUUID(), requestedBy, reason, ...(overrideFreeze ? { overrideFreeze } : {}) };
  }

  /**
   * Rejects with an InvalidRequestError naming each field at fault (image ref, values, …); nothing
   * is sent then. Resolves once the workflow took the request, with its answer and receipt.
   */
  async deploy(options: DeployOptions): Promise<Accepted> {
    if (options.secrets !== undefined) {
      throw new InvalidRequestError([
        { field: 'secrets', message: "go through the HTTP API (HttpDeployerClient, or `deployer login`): sent with a signal they would stay in the workflow's Temporal history" },
      ]);
    }
    const meta = this.meta(options, { imageRef: options.imageRef ?? '', valuesOverride: options.valuesOverride });
    const request = { ...meta, imageRef: options.imageRef, ...(options.valuesOverride === undefined ? {} : { valuesOverride: options.valuesOverride }) };
    return this.send(options, { update: deployUpdate, signal: deploySignal }, request);
  }

  /**
   * What deploying `imageRef` (with `valuesOverride`) would change, per object, asked of the API
   * server with a dry run: nothing changes. Runs on a worker, which renders from the branch head.
   * Rejects with an InvalidRequestError before sending anything when the request is malformed.
   */
  async preview(options: PreviewOptions): Promise<ReleasePreview> {
    const { project, environment, imageRef, valuesOverride, requestedBy } = options;
    checkRequest({ project, environment, requestedBy, imageRef: imageRef ?? '', valuesOverride });
    const request: ReleasePreviewRequest = { project, environment, imageRef, ...(valuesOverride === undefined ? {} : { valuesOverride }) };
    return this.options.client.workflow.execute<typeof previewWorkflow>('previewWorkflow', {
      taskQueue: this.options.taskQueue ?? TASK_QUEUE,
      workflowId: previewWorkflowId(request, randomUUID()),
      args: [request],
      // No worker to take it is an answer too, after this long.
      workflowExecutionTimeout: options.timeoutMs ?? 3 * 60_000,
    });
  }

  async rollback(options: RollbackOptions): Promise<Accepted> {
    const request = { ...this.meta(options), ...(options.toRelease === undefined ? {} : { toRelease: options.toRelease }) };
    return this.send(options, { update: rollbackUpdate, signal: rollbackSignal }, request);
  }

  async stop(options: RequestOptions): Promise<Accepted> {
    return this.send(options, { update: stopUpdate, signal: stopSignal }, this.meta(options));
  }

  readonly approve = decisionCall((key, request) => this.decide('approve', key, request));
  readonly reject = decisionCall((key, request) => this.decide('reject', key, request));

  /** Sends a decision on the waiting request, again while Temporal is unreachable (a repeat is answered as the first). */
  private decide(decision: Decision, key: EnvironmentRef, request: ApprovalDecision): Promise<ApprovalAnswer> {
    const timeoutMs = this.options.acceptTimeoutMs ?? 10_000;
    return this.resend(() => decideApproval(this.options.client, key, decision, request, { timeoutMs }));
  }

  /** Sends a request by update-with-start (a signal where that cannot be), and keeps its receipt. */
  private async send<Request extends RequestMeta>(key: EnvironmentRef, messages: RequestMessages<Request>, request: Request): Promise<Accepted> {
    const sent = await this.resend(() => requestWithStart(this.options.client, this.target(key), messages, request, { acceptTimeoutMs: this.options.acceptTimeoutMs ?? 10_000 }));
    const accepted: Accepted = { requestId: request.requestId, workflowId: sent.workflowId };
    if (!sent.acceptance) return accepted;
    const { outcome, position, firstRunId } = sent.acceptance;
    const receipt = { position, firstRunId };
    this.remember(sent.workflowId, request.requestId, receipt);
    return { ...accepted, outcome, receipt };
  }

  private remember(workflowId: string, requestId: string, receipt: RequestReceipt): void {
    const key = `${workflowId} ${requestId}`;
    this.receipts.delete(key);
    this.receipts.set(key, receipt);
    if (this.receipts.size > MAX_RECEIPTS) this.receipts.delete(this.receipts.keys().next().value!);
  }

  async cancel(options: RequestOptions): Promise<Accepted> {
    const meta = this.meta(options);
    const handle = await this.resend(() => signalEnvironment(this.options.client, this.target(options), cancelSignal, meta));
    return { requestId: meta.requestId, workflowId: handle.workflowId };
  }

  /** The workflow's live state, or undefined when the environment never received a request. */
  async state(key: EnvironmentRef): Promise<EnvironmentState | undefined> {
    try {
      return await this.handle(key).query(stateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Whether the environment's workflow is running: a workflow that failed or was terminated still
   * answers the state query with its last state, which must not pass for the present. `wedged`
   * says why a running one's workflow tasks keep failing (a code change without patched());
   * `waitingOn` names the dependency a step is waiting for while it is unreachable.
   */
  async workflowStatus(key: EnvironmentRef): Promise<{ running: boolean; status: string; wedged?: string; waitingOn?: string } | undefined> {
    try {
      const handle = this.handle(key);
      const description = await handle.describe();
      const { status, raw } = description;
      const wedge = status.name === 'RUNNING' ? await findWorkflowWedge(handle, raw.pendingWorkflowTask?.attempt ?? 0) : undefined;
      const waitingOn = status.name === 'RUNNING' ? pendingOutage(await pendingActivityDetails(this.options.client, description)) : undefined;
      return { running: status.name === 'RUNNING', status: status.name, ...(wedge ? { wedged: describeWedge(wedge) } : {}), ...(waitingOn ? { waitingOn } : {}) };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Recent releases, newest first, as the workflow keeps them (the full record is in Postgres). */
  async history(key: EnvironmentRef): Promise<Release[]> {
    return (await this.state(key))?.releases ?? [];
  }

  /** Rollout counts the wait-for-health activity last reported, if it is running. */
  async rolloutProgress(key: EnvironmentRef): Promise<RolloutProgress[]> {
    const description = await this.handle(key).describe();
    return rolloutProgressIn(await pendingActivityDetails(this.options.client, description));
  }

  /**
   * Follows request `requestId` until it ends (healthy, failed, cancelled, superseded, ignored or
   * stopped) and returns its final entry with the release it produced, if any. Times out with the
   * workflow's own account of what it is waiting for.
   */
  async waitForRequest(key: EnvironmentRef, requestId: string, options: WaitOptions = {}): Promise<{ request: RequestAnswer; release?: Release }> {
    const { timeoutMs = 10 * 60_000, pollIntervalMs = 500, onProgress } = options;
    const receipt = options.receipt ?? this.receipts.get(`${environmentWorkflowId(key.project, key.environment)} ${requestId}`);
    const deadline = Date.now() + timeoutMs;
    let lastSummary = '';
    // While Temporal is unreachable (restarting, a network blip) the wait goes on until its own deadline.
    let unreachable: { since: number; error: unknown } | undefined;
    let state: EnvironmentState | undefined;
    let lastStatusCheck = Date.now();
    /** the dependency a step waits for, as last seen by the periodic status check */
    let waitingOn: string | undefined;
    for (;;) {
      try {
        state = await this.state(key);
        unreachable = undefined;
      } catch (error) {
        if (!isTransientTemporalError(error)) throw error;
        unreachable ??= { since: Date.now(), error };
        unreachable.error = error;
        if (Date.now() > deadline) {
          const since = new Date(unreachable.since).toISOString();
          throw new Error(`timed out after ${timeoutMs} ms waiting for request ${requestId}: Temporal unreachable since ${since} (${(error as Error).message})`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(pollIntervalMs, 500)));
        continue;
      }
      const { request, release } = requestIn(state, requestId, receipt);
      if (request && isFinal(request.outcome)) return { request, release };
      // A workflow that ended (failed, terminated) will never finish the request: say so now
      // instead of polling its last state until the timeout. Checked every few seconds.
      if (state && Date.now() - lastStatusCheck >= STATUS_CHECK_MS) {
        lastStatusCheck = Date.now();
        const live = await this.workflowStatus(key).catch(() => undefined);
        waitingOn = live?.waitingOn;
        if (live && !live.running) {
          throw new ReleaseFailedError(requestId, 'failed', `the environment's workflow is ${live.status.toLowerCase()}, not running; send the request again to start a new run`, release);
        }
      }
      if (state && onProgress) {
        const workloads = state.inFlight?.step === 'health' ? await this.rolloutProgress(key).catch(() => []) : [];
        const summary = describeProgress(state, request, workloads, waitingOn);
        if (summary !== lastSummary) {
          lastSummary = summary;
          onProgress({ request, state, workloads, summary });
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for request ${requestId}: ${state?.waitingFor ?? 'the environment has no workflow'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
  }

  async waitForOutcome(key: EnvironmentRef, requestId: string, options: WaitOptions = {}): Promise<RequestOutcome<Release>> {
    const { request, release } = await this.waitForRequest(key, requestId, options);
    return { outcome: request.outcome, detail: request.detail, release };
  }

  /**
   * Resolves with the release once deploy or rollback request `requestId` made it healthy;
   * rejects with a ReleaseFailedError when it failed, was cancelled, was superseded by a newer
   * request or was refused.
   */
  async waitForRelease(key: EnvironmentRef, requestId: string, options: WaitOptions = {}): Promise<Release> {
    return healthyRelease(requestId, await this.waitForOutcome(key, requestId, options));
  }

  /** Sends a request again while Temporal is unreachable; the same request id makes a duplicate harmless. */
  private resend<T>(send: () => Promise<T>): Promise<T> {
    return retryTransient(send, { timeoutMs: this.options.signalRetryMs ?? 60_000 });
  }

  private handle(key: EnvironmentRef) {
    return this.options.client.workflow.getHandle(environmentWorkflowId(key.project, key.environment));
  }
}

function describeProgress(state: EnvironmentState, request: RequestAnswer | undefined, workloads: RolloutProgress[], waitingOn?: string): string {
  const counts = workloads.map((w) => `${w.ref.kind}/${w.ref.name} ${w.ready}/${w.desired} ready`).join(', ');
  const step = state.inFlight ? `step ${state.inFlight.step}${waitingOn ? ` (${waitingOn})` : ''}` : state.waitingFor;
  return `${request?.outcome ?? 'not yet received'}: ${step}${counts ? ` — ${counts}` : ''}`;
}
