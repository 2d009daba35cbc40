// The long-lived workflow of one (project, environment). Handlers only record what was asked;
// the loop below takes the newest pending request, waits out the minimum interval, and runs it
// as activities. Idle, it re-applies the desired release on the drift timer. Decisions live in
// decide.ts; this file is the Temporal shell around them.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  defaultPolicy,
  userErrorTypes,
  type DeployerActivities,
  type EnvironmentConfig,
  type EnvironmentPolicy,
  type HistoryAction,
  type HistoryRecord,
  type HistoryStatus,
  type RenderInput,
} from '../activities/types.js';
import {
  MAX_RECENT_RELEASES,
  acceptRequest,
  autoRollbackPlan,
  historyIsFull,
  logRequest,
  nextDriftAt,
  planDrift,
  stateFromRecords,
  unhealthyDesired,
  planRequest,
  recordRelease,
  shouldContinueAsNew,
  startDelay,
  wantReconcile,
  type ReleasePlan,
} from './decide.js';
import { currentDetailsMarkdown, describeState } from './display.js';
import { backgroundTaskQueue, cancelSignal, deploySignal, reconcileSignal, rollbackSignal, stateQuery, stopSignal, type RequestMeta } from './messages.js';
import { DeployEnvironment, DeployImage, DeployProject, DeployStatus } from './search-attributes.js';
import type { CarriedState, InFlight, PendingRequest, Release, Step } from './state.js';

export interface EnvironmentWorkflowInput {
  project: string;
  environment: string;
  /** policy until the environment's own is loaded (tests and first start) */
  policy?: Partial<EnvironmentPolicy>;
  /** what the previous run handed over at continue-as-new */
  carried?: CarriedState;
}

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...userErrorTypes],
};
const steps = proxyActivities<DeployerActivities>({ startToCloseTimeout: '2 minutes', retry });
// Sync, render, apply and scale heartbeat every few seconds while they work: a worker that dies
// mid-step is noticed after this long and another takes the step over, instead of after the
// step's whole start-to-close timeout.
const STEP_HEARTBEAT_TIMEOUT = '15 seconds';
// A step waits out an outage of Postgres, Kubernetes or git for up to five minutes (OUTAGE_BUDGET_MS
// in activities/outages.ts) before it fails; its start-to-close leaves room for that and the work.
const STEP_TIMEOUT = '10 minutes';

/** The options every pipeline step (load, sync, render, apply, scale) runs with; `queue` moves background work. */
function stepOptions(summary: string, queue: { taskQueue?: string } = {}) {
  return { startToCloseTimeout: STEP_TIMEOUT, heartbeatTimeout: STEP_HEARTBEAT_TIMEOUT, retry, ...queue, summary };
}

// Records must land eventually; they are idempotent, so retry them longer.
// Bookkeeping must never end the workflow: a Postgres outage is waited out, however long, with
// the backoff capped at 30 s (no maximumAttempts: no limit).
const recordRetry = {
  initialInterval: retry.initialInterval,
  backoffCoefficient: retry.backoffCoefficient,
  maximumInterval: retry.maximumInterval,
  nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
};
const records = proxyActivities<DeployerActivities>({ startToCloseTimeout: '30 seconds', retry: recordRetry });
// A release's own bookkeeping (its history row at the start and the end, the environment's state)
// runs as local activities: on the worker that runs the workflow, within its workflow task, with
// no trip through the task queue and back — three fewer round trips per release. The writes are
// idempotent, so running one again after a lost worker is harmless.
const localRecords = proxyLocalActivities<DeployerActivities>({ startToCloseTimeout: '30 seconds', retry: recordRetry });

function initialState(input: EnvironmentWorkflowInput): CarriedState {
  return {
    policy: { ...defaultPolicy, ...input.policy },
    status: 'new',
    stopped: false,
    releases: [],
    nextSeq: 1,
    requests: [],
    run: 1,
  };
}

function errorMessage(error: unknown): string {
  // ActivityFailure wraps the activity's own ApplicationFailure: show the cause.
  const cause = (error as { cause?: Error }).cause;
  return (cause?.message ?? (error as Error).message ?? String(error)).slice(0, 2000);
}

function errorType(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const cause = (error as { cause?: unknown }).cause ?? error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

export async function environmentWorkflow(input: EnvironmentWorkflowInput): Promise<void> {
  const { project, environment } = input;
  const ref = { project, environment };
  let state: CarriedState = input.carried ? { ...input.carried, run: input.carried.run + 1 } : initialState(input);
  let inFlight: InFlight | undefined;
  /** set by stop/cancel while a deployment is in flight; the wait for health ends on it */
  let interruption: { by: string; reason: string } | undefined;
  const interruptionNow = () => interruption;
  let healthScope: CancellationScope | undefined;
  let operation = 0; // per run: with workflow and run ID it keys history rows
  let lastPublished = ''; // search attributes last upserted, to upsert only on change

  // Handlers first, so signals buffered before the first await are applied in order.
  const accept = (request: PendingRequest) => {
    state = acceptRequest(state, request);
    publish();
  };
  const interrupt = (meta: RequestMeta, what: 'stop' | 'cancel') => {
    if (!inFlight || inFlight.kind === 'drift') return false;
    interruption = { by: meta.requestId, reason: `${what} requested by ${meta.requestedBy}${meta.reason ? `: ${meta.reason}` : ''}` };
    healthScope?.cancel();
    return true;
  };
  setHandler(deploySignal, (request) => accept({ kind: 'deploy', receivedAt: Date.now(), ...request }));
  setHandler(rollbackSignal, (request) => accept({ kind: 'rollback', receivedAt: Date.now(), ...request }));
  setHandler(stopSignal, (request) => {
    accept({ kind: 'stop', receivedAt: Date.now(), ...request });
    interrupt(request, 'stop');
  });
  setHandler(cancelSignal, (request) => {
    if (state.requests.some((r) => r.requestId === request.requestId)) return;
    const interrupted = interrupt(request, 'cancel');
    state = {
      ...state,
      requests: logRequest(state.requests, {
        requestId: request.requestId,
        kind: 'cancel',
        outcome: interrupted ? 'cancelled' : 'ignored',
        detail: interrupted ? `cancelled ${inFlight?.requestId}` : 'nothing in flight to cancel',
      }),
    };
    publish();
  });
  setHandler(reconcileSignal, (request) => {
    state = { ...state, reconcile: wantReconcile(state.reconcile, request, Date.now()) };
    publish();
  });
  setHandler(stateQuery, () => describeState(ref, state, inFlight, Date.now()));

  function publish(): void {
    const image = state.desired?.imageRef ?? '';
    const key = `${image}|${state.status}`;
    if (key !== lastPublished) {
      lastPublished = key;
      upsertSearchAttributes([
        { key: DeployProject, value: project },
        { key: DeployEnvironment, value: environment },
        { key: DeployImage, value: image },
        { key: DeployStatus, value: state.status },
      ]);
    }
    setCurrentDetails(currentDetailsMarkdown(describeState(ref, state, inFlight, Date.now())));
  }

  /** What to render for `release` at ops commit `sha`: the environment's values, then the release's. */
  function renderInput(config: EnvironmentConfig, release: Release, sha: string): RenderInput {
    return {
      opsRepo: config.opsRepo,
      sha,
      manifestPath: config.manifestPath,
      project,
      environment,
      namespace: config.namespace,
      imageRef: release.imageRef,
      valuesOverrides: [config.valuesOverride, release.valuesOverride ?? {}],
    };
  }

  function historyKey(): string {
    const { workflowId, runId } = workflowInfo();
    operation += 1;
    return `${workflowId}/${runId}/${operation}`;
  }

  async function step<T>(name: Step, run: () => Promise<T>): Promise<T> {
    if (inFlight) inFlight = { ...inFlight, step: name };
    publish();
    return run();
  }

  async function loadEnvironment(queue: { taskQueue?: string } = {}): Promise<EnvironmentConfig> {
    const config = await steps.loadEnvironment.executeWithOptions(
      stepOptions(`load ${project}/${environment}`, queue),
      [ref],
    );
    state = { ...state, policy: config.policy };
    return config;
  }

  async function recordHistory(row: Omit<HistoryRecord, 'project' | 'environment'>, { local = false } = {}): Promise<void> {
    await (local ? localRecords : records).recordHistory.executeWithOptions(
      { startToCloseTimeout: '30 seconds', summary: `record ${row.action} ${row.status}` },
      [{ project, environment, ...row }],
    );
  }

  async function recordCurrentState({ local = false } = {}): Promise<void> {
    const current = state.current;
    await (local ? localRecords : records).recordCurrentState({
      project,
      environment,
      desiredImage: state.desired?.imageRef,
      desiredStatus: state.stopped ? 'stopped' : 'running',
      currentStatus: state.status,
      currentImage: current?.imageRef,
      currentSha: current?.opsSha,
      manifestHash: current?.manifestHash,
      deployedAt: current?.finishedAt !== undefined ? new Date(current.finishedAt).toISOString() : undefined,
    });
  }

  /** Waits for the rollout, ending early (as a cancellation) when stop or cancel interrupts it. */
  async function waitHealthy(config: EnvironmentConfig, objects: Parameters<DeployerActivities['waitForRollout']>[0]['objects'], queue: { taskQueue?: string } = {}) {
    if (interruption) throw new CancelledByRequest(interruption.reason);
    healthScope = new CancellationScope();
    try {
      await healthScope.run(() =>
        steps.waitForRollout.executeWithOptions(
          {
            startToCloseTimeout: config.policy.healthTimeoutMs + 60_000,
            heartbeatTimeout: '10 seconds',
            cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            retry: { ...retry, maximumAttempts: 3 },
            summary: `wait for ${objects.length} objects in ns ${config.namespace} to be healthy`,
            ...queue,
          },
          [{ namespace: config.namespace, objects, timeoutMs: config.policy.healthTimeoutMs, impersonate: config.impersonate }],
        ),
      );
    } catch (error) {
      const why = interruptionNow(); // set by a signal handler while we awaited
      if (why && isCancellation(error)) throw new CancelledByRequest(why.reason);
      throw error;
    } finally {
      healthScope = undefined;
    }
  }

  /** Sync → render → apply → (resume) → wait healthy for one release; records both ends. */
  async function runRelease(plan: ReleasePlan, meta: RequestMeta): Promise<Release> {
    const now = Date.now();
    let release: Release = { ...plan, seq: state.nextSeq, status: 'in-progress', requestId: meta.requestId, startedAt: now };
    const save = (changes: Partial<Release>) => {
      release = { ...release, ...changes };
      state = { ...state, desired: release, releases: recordRelease(state.releases, release) };
    };
    // A release applies everything, so it serves any reconcile wanted so far.
    state = { ...state, nextSeq: state.nextSeq + 1, lastStartedAt: now, status: 'deploying', reconcile: undefined };
    save({});
    interruption = undefined;
    inFlight = { requestId: meta.requestId, kind: plan.action === 'deploy' ? 'deploy' : 'rollback', step: 'load', releaseSeq: release.seq, startedAt: now };
    state = { ...state, requests: logRequest(state.requests, { requestId: meta.requestId, kind: plan.action === 'deploy' ? 'deploy' : 'rollback', outcome: 'running', releaseSeq: release.seq }) };
    const key = historyKey();
    // Releases of workflows that started before the bookkeeping ran locally keep their commands on replay.
    const local = patched('release-records-as-local-activities');
    const history = (status: HistoryStatus, extra: Partial<HistoryRecord> = {}) =>
      recordHistory({
        idempotencyKey: key,
        action: plan.action as HistoryAction,
        status,
        imageRef: release.imageRef,
        sha: release.opsSha,
        manifestHash: release.manifestHash,
        valuesOverride: release.valuesOverride,
        requestId: meta.requestId,
        requestedBy: meta.requestedBy,
        reason: meta.reason,
        startedAt: new Date(release.startedAt).toISOString(),
        ...extra,
      }, { local });
    try {
      const config = await step('load', () => loadEnvironment());
      await step('record', () => history('in-progress'));
      const { sha } = await step('sync', () =>
        steps.syncOpsRepo.executeWithOptions(stepOptions(`sync ${config.opsRepo.url}@${plan.pinned ? plan.opsSha?.slice(0, 8) : config.opsRepo.branch}`), [
          { opsRepo: config.opsRepo, pinSha: plan.pinned ? plan.opsSha : undefined },
        ]),
      );
      save({ opsSha: sha });
      const rendered = await step('render', () =>
        steps.renderManifests.executeWithOptions(stepOptions(`render ${config.manifestPath} for ${release.imageRef}`), [
          renderInput(config, release, sha),
        ]),
      );
      save({ manifestHash: rendered.manifestHash });
      await step('apply', () =>
        steps.applyManifests.executeWithOptions(stepOptions(`apply ${rendered.objects.length} objects to ns ${config.namespace}`), [
          {
            project,
            environment,
            namespace: config.namespace,
            manifestHash: rendered.manifestHash,
            forceConflicts: config.policy.forceConflicts,
            omitReplicas: config.policy.hasAutoscaler,
            impersonate: config.impersonate,
          },
        ]),
      );
      if (state.stopped) {
        await step('scale', () =>
          steps.scaleWorkloads.executeWithOptions(stepOptions(`resume workloads in ns ${config.namespace}`), [
            { project, environment, namespace: config.namespace, action: 'resume', impersonate: config.impersonate },
          ]),
        );
        state = { ...state, stopped: false };
      }
      await step('health', () => waitHealthy(config, rendered.objects));
      save({ status: 'healthy', finishedAt: Date.now() });
      state = { ...state, current: release, status: 'healthy' };
    } catch (error) {
      const cancelled = error instanceof CancelledByRequest;
      save({ status: cancelled ? 'cancelled' : 'failed', finishedAt: Date.now(), error: errorMessage(error) });
      state = { ...state, status: cancelled ? 'cancelled' : 'failed' };
      log.warn('release did not become healthy', { seq: release.seq, error: release.error });
    } finally {
      inFlight = { ...inFlight!, step: 'record' };
      publish();
    }
    const outcome = release.status === 'healthy' ? 'healthy' : release.status === 'cancelled' ? 'cancelled' : 'failed';
    state = {
      ...state,
      requests: logRequest(state.requests, { requestId: meta.requestId, kind: inFlight.kind as 'deploy' | 'rollback', outcome, releaseSeq: release.seq, detail: release.error }),
    };
    await history(release.status === 'in-progress' ? 'failed' : release.status, {
      sha: release.opsSha,
      manifestHash: release.manifestHash,
      error: release.error,
      finishedAt: new Date(release.finishedAt ?? Date.now()).toISOString(),
    });
    await recordCurrentState({ local });
    inFlight = undefined;
    publish();
    return release;
  }

  async function runStop(meta: RequestMeta): Promise<void> {
    const now = Date.now();
    inFlight = { requestId: meta.requestId, kind: 'stop', step: 'load', startedAt: now };
    state = { ...state, status: 'stopping', requests: logRequest(state.requests, { requestId: meta.requestId, kind: 'stop', outcome: 'running' }) };
    const key = historyKey();
    const base = { idempotencyKey: key, action: 'stop' as const, requestId: meta.requestId, requestedBy: meta.requestedBy, reason: meta.reason, startedAt: new Date(now).toISOString() };
    let error: unknown;
    try {
      const config = await step('load', () => loadEnvironment());
      await step('scale', () =>
        steps.scaleWorkloads.executeWithOptions(stepOptions(`scale workloads in ns ${config.namespace} to 0`), [
          { project, environment, namespace: config.namespace, action: 'stop', impersonate: config.impersonate },
        ]),
      );
      state = { ...state, stopped: true, status: 'stopped', lastStartedAt: now };
    } catch (caught) {
      error = caught;
      state = { ...state, status: 'failed' };
    }
    inFlight = { ...inFlight, step: 'record' };
    state = { ...state, requests: logRequest(state.requests, { requestId: meta.requestId, kind: 'stop', outcome: error ? 'failed' : 'stopped', detail: error ? errorMessage(error) : undefined }) };
    await recordHistory({ ...base, status: error ? 'failed' : 'stopped', error: error ? errorMessage(error) : undefined, errorType: errorType(error), finishedAt: new Date(Date.now()).toISOString() });
    await recordCurrentState();
    inFlight = undefined;
    publish();
  }

  async function recordRefusal(request: PendingRequest, detail: string): Promise<void> {
    state = { ...state, requests: logRequest(state.requests, { requestId: request.requestId, kind: request.kind, outcome: 'failed', detail }) };
    const at = new Date(Date.now()).toISOString();
    await recordHistory({
      idempotencyKey: historyKey(),
      action: request.kind === 'stop' ? 'stop' : request.kind,
      status: 'failed',
      error: detail,
      errorType: 'RequestRefused',
      requestId: request.requestId,
      requestedBy: request.requestedBy,
      reason: request.reason,
      startedAt: at,
      finishedAt: at,
    });
    publish();
  }

  async function handle(request: PendingRequest): Promise<void> {
    const plan = planRequest(state, request);
    switch (plan.type) {
      case 'ignore':
        state = { ...state, requests: logRequest(state.requests, { requestId: request.requestId, kind: request.kind, outcome: 'ignored', detail: plan.detail }) };
        publish();
        return;
      case 'fail':
        await recordRefusal(request, plan.detail);
        return;
      case 'stop':
        await runStop(request);
        return;
      case 'release': {
        const release = await runRelease(plan.release, request);
        if (release.status !== 'failed') return;
        const rollback = autoRollbackPlan(state, release);
        if (rollback) {
          await runRelease(rollback, {
            requestId: `${request.requestId}/auto-rollback`,
            requestedBy: 'deployer',
            reason: `release #${release.seq} (${release.imageRef}) failed: ${release.error ?? 'unknown error'}`,
          });
        }
      }
    }
  }

  async function driftPass(): Promise<void> {
    const now = Date.now();
    const trigger = state.reconcile;
    state = { ...state, lastDriftAt: now, reconcile: undefined };
    // A stop or cancel interrupts the release it was sent for. Left set, it failed every later
    // drift pass that found a change, in its wait for health, until the next release started.
    if (interruption && patched('drift-clears-past-interruption')) interruption = undefined;
    // Workflows that started before drift kept to healthy releases re-applied a failed one when
    // nothing healthy existed; that path keeps its old commands on replay.
    const legacyDrift = unhealthyDesired(state) !== undefined && !state.current && !patched('drift-reapplies-only-healthy');
    const plan = planDrift(state, { onlyHealthy: !legacyDrift });
    if (plan.type === 'none') return;
    inFlight = { requestId: `drift-${now}`, kind: 'drift', step: 'load', startedAt: now };
    const key = historyKey();
    const base = { idempotencyKey: key, action: 'drift' as const, requestedBy: trigger ? `deployer (${trigger.sources.join(', ')})` : 'deployer', startedAt: new Date(now).toISOString() };
    const noticed = trigger ? [`noticed: ${trigger.detail}`] : [];
    // Background work: its activities go to their own task queue, so deploys never wait behind it.
    const background = { taskQueue: backgroundTaskQueue(workflowInfo().taskQueue) };
    try {
      const config = await step('load', () => loadEnvironment(background));
      if (plan.type === 'keep-stopped') {
        const { scaled } = await step('scale', () =>
          steps.scaleWorkloads.executeWithOptions(stepOptions(`keep ns ${config.namespace} scaled to 0`, background), [
            { project, environment, namespace: config.namespace, action: 'stop', impersonate: config.impersonate },
          ]),
        );
        if (scaled.length > 0) {
          await step('record', () => recordHistory({ ...base, status: 'corrected', reason: [`scaled ${scaled.length} workload(s) back to 0`, ...noticed].join('; '), finishedAt: new Date(Date.now()).toISOString() }));
        }
      } else {
        const release = plan.release;
        const { sha } = await step('sync', () =>
          steps.syncOpsRepo.executeWithOptions(stepOptions(`drift: sync ${config.opsRepo.url}`, background), [
            { opsRepo: config.opsRepo, pinSha: release.pinned ? release.opsSha : undefined, knownHead: release.pinned ? undefined : trigger?.opsSha },
          ]),
        );
        const rendered = await step('render', () =>
          steps.renderManifests.executeWithOptions(stepOptions(`drift: render ${config.manifestPath}`, background), [
            renderInput(config, release, sha),
          ]),
        );
        const applied = await step('apply', () =>
          steps.applyManifests.executeWithOptions(stepOptions(`drift: re-apply ${rendered.objects.length} objects to ns ${config.namespace}`, background), [
            {
              project,
              environment,
              namespace: config.namespace,
              manifestHash: rendered.manifestHash,
              // Undoing hand edits is a drift pass's job: fields kubectl or a controller took are
              // taken back. The apply never takes fields from another environment, force or not.
              forceConflicts: true,
              omitReplicas: config.policy.hasAutoscaler,
              // Only what someone changed since the last apply is applied again; nothing, when
              // nothing changed (the safety-net pass is a read per object).
              onlyDrifted: true,
              impersonate: config.impersonate,
            },
          ]),
        );
        const shaMoved = sha !== release.opsSha;
        if (applied.changed || shaMoved) {
          await step('health', () => waitHealthy(config, rendered.objects, background));
          const updated: Release = { ...release, opsSha: sha, manifestHash: rendered.manifestHash };
          state = {
            ...state,
            desired: updated,
            current: state.current?.seq === release.seq ? updated : state.current,
            releases: recordRelease(state.releases, updated),
          };
          const changedObjects = applied.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.ref.kind}/${c.ref.name}`);
          await step('record', () =>
            recordHistory({
              ...base,
              status: 'corrected',
              imageRef: release.imageRef,
              sha,
              manifestHash: rendered.manifestHash,
              reason: [shaMoved ? `ops repo moved to ${sha.slice(0, 8)}` : undefined, ...changedObjects, ...noticed].filter(Boolean).join('; '),
              finishedAt: new Date(Date.now()).toISOString(),
            }),
          );
          await recordCurrentState();
        }
      }
      state = { ...state, lastDriftError: undefined };
    } catch (error) {
      const message = errorMessage(error);
      // A drift pass that keeps failing the same way records it once, not every interval.
      if (message !== state.lastDriftError) {
        state = { ...state, lastDriftError: message };
        await recordHistory({ ...base, status: 'failed', error: message, errorType: errorType(error), finishedAt: new Date(Date.now()).toISOString() });
      }
    } finally {
      inFlight = undefined;
      publish();
    }
  }

  publish();
  // A run that starts blank although the environment has a record (its predecessor was terminated
  // or failed) picks up from Postgres: the releases to roll back to, what runs, whether stopped.
  // Workflows that started before this existed keep their old commands on replay.
  if (!input.carried && patched('rebuild-state-from-records')) {
    const recorded = await records.loadRecordedState.executeWithOptions(
      { startToCloseTimeout: '30 seconds', summary: `read the record of ${project}/${environment}` },
      [{ project, environment, limit: MAX_RECENT_RELEASES }],
    );
    if (recorded.releaseCount > 0 || recorded.stopped) {
      state = stateFromRecords(state, recorded);
      log.info('state rebuilt from the record', { releases: recorded.releaseCount, closedInProgress: recorded.closedInProgress });
      publish();
    }
  }
  for (let turn = 1; ; turn++) {
    const pending = state.pending;
    if (pending) {
      const delay = startDelay(state, pending, Date.now());
      if (delay > 0) {
        publish();
        await sleep(delay, { summary: 'minimum interval' });
        continue; // newer requests may have replaced the pending one meanwhile
      }
      state = { ...state, pending: undefined };
      await handle(pending);
    } else {
      const untilDrift = Math.max(0, nextDriftAt(state, Date.now()) - Date.now());
      const woken = await condition(() => state.pending !== undefined || state.reconcile !== undefined, untilDrift, {
        summary: 'idle until a request, a change in the ops repo or the cluster, or the next safety-net drift pass',
      });
      if (!woken || (state.pending === undefined && state.reconcile !== undefined)) await driftPass();
    }
    const info = workflowInfo();
    // Runs that started before the history bound existed replay their old decision here.
    if (shouldContinueAsNew(turn, info.continueAsNewSuggested) || (historyIsFull(info.historyLength) && patched('continue-as-new-by-history-length'))) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof environmentWorkflow>({ project, environment, carried: state });
    }
  }
}

/** The wait for health ended because stop or cancel asked it to. */
class CancelledByRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledByRequest';
  }
}
