// The environment workflow's activities, each with its options declared once: timeouts, retries,
// heartbeats and the summary the Temporal UI shows on the step. `queue` moves a step to the
// background task queue (drift passes), so deploys never wait behind it.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities, type CancellationScope } from '@temporalio/workflow';
import {
  userErrorTypes,
  type ApplyInput,
  type CheckDriftInput,
  type DeployerActivities,
  type EnvironmentConfig,
  type HistoryRecord,
  type ObjectRef,
  type ApplyReleaseInput,
  type RenderInput,
  type RequestApprovalInput,
  type RollOutReleaseInput,
  type ScaleInput,
  type SyncOpsRepoInput,
} from '../activities/types.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';

export interface Queue {
  taskQueue?: string;
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

/** The options every pipeline step (load, sync, render, apply, scale, a release's apply, a drift pass's check) runs with. */
function stepOptions(summary: string, queue: Queue) {
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

/** Where a record is written from: `local` runs it on this worker, within the workflow task. */
export interface RecordOptions {
  local?: boolean;
}

export function loadEnvironment(ref: EnvironmentRef, queue: Queue): Promise<EnvironmentConfig> {
  return steps.loadEnvironment.executeWithOptions(stepOptions(`load ${ref.project}/${ref.environment}`, queue), [ref]);
}

export function syncOpsRepo(summary: string, input: SyncOpsRepoInput, queue: Queue) {
  return steps.syncOpsRepo.executeWithOptions(stepOptions(summary, queue), [input]);
}

export function renderManifests(summary: string, input: RenderInput, queue: Queue) {
  return steps.renderManifests.executeWithOptions(stepOptions(summary, queue), [input]);
}

export function applyManifests(summary: string, input: ApplyInput, queue: Queue) {
  return steps.applyManifests.executeWithOptions(stepOptions(summary, queue), [input]);
}

export function scaleWorkloads(summary: string, input: ScaleInput, queue: Queue) {
  return steps.scaleWorkloads.executeWithOptions(stepOptions(summary, queue), [input]);
}

/** A release's load, in-progress history row, sync, render and apply as one activity. */
export function applyRelease(summary: string, input: ApplyReleaseInput) {
  return steps.applyRelease.executeWithOptions(stepOptions(summary, {}), [input]);
}

/** A gated request's preview and its awaiting-approval history row, as one activity. */
export function requestApproval(summary: string, input: RequestApprovalInput) {
  return steps.requestApproval.executeWithOptions(stepOptions(summary, {}), [input]);
}

/** A drift pass's load, sync, render and apply (or keep-stopped scale) as one activity. */
export function checkDrift(summary: string, input: CheckDriftInput, queue: Queue) {
  return steps.checkDrift.executeWithOptions(stepOptions(summary, queue), [input]);
}

/** The wait for health's options: bounded by the policy's health timeout, and ended by a cancel. */
function rolloutOptions(config: EnvironmentConfig, objects: ObjectRef[], queue: Queue) {
  return {
    startToCloseTimeout: config.policy.healthTimeoutMs + 60_000,
    heartbeatTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 3 },
    summary: `wait for ${objects.length} objects in ns ${config.namespace} to be healthy`,
    ...queue,
  };
}

function rolloutInput(config: EnvironmentConfig, objects: ObjectRef[]) {
  return { namespace: config.namespace, objects, timeoutMs: config.policy.healthTimeoutMs, impersonate: config.impersonate };
}

/** The wait for health, run inside `scope` so that stop and cancel can end it. */
export function waitForRollout(scope: CancellationScope, config: EnvironmentConfig, objects: ObjectRef[], queue: Queue) {
  return scope.run(() => steps.waitForRollout.executeWithOptions(rolloutOptions(config, objects, queue), [rolloutInput(config, objects)]));
}

/** A release's wait for health, writing its healthy record when done; inside `scope`, as waitForRollout. */
export function rollOutRelease(scope: CancellationScope, config: EnvironmentConfig, objects: ObjectRef[], healthy: RollOutReleaseInput['healthy']) {
  return scope.run(() => steps.rollOutRelease.executeWithOptions(rolloutOptions(config, objects, {}), [{ ...rolloutInput(config, objects), healthy }]));
}

export function recordHistory(row: HistoryRecord, { local = false }: RecordOptions = {}): Promise<void> {
  return (local ? localRecords : records).recordHistory.executeWithOptions(
    { startToCloseTimeout: '30 seconds', summary: `record ${row.action} ${row.status}` },
    [row],
  );
}

export function recordCurrentState(input: Parameters<DeployerActivities['recordCurrentState']>[0], { local = false }: RecordOptions = {}): Promise<void> {
  return (local ? localRecords : records).recordCurrentState(input);
}

export function loadRecordedState(ref: EnvironmentRef, limit: number) {
  return records.loadRecordedState.executeWithOptions(
    { startToCloseTimeout: '30 seconds', summary: `read the record of ${ref.project}/${ref.environment}` },
    [{ ...ref, limit }],
  );
}
