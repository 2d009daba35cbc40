// The messages an environment workflow understands. Signals because pipelines may fire and
// forget: a signal is accepted even while a deployment is in flight or the worker is down, and the
// `state` query (or the SDK's waitForRelease) tells what became of it. A deploy, rollback or stop
// may also come as an update (with start), which answers once a worker took it: refused, or taken
// with its position. A cancel stays a signal: it is never superseded and ends when it is taken.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ReconcileRequest } from '../src/domain/reconcile.js';
import type { EnvironmentPolicy } from '../src/domain/vocabulary.js';
import type { EnvironmentState, RequestAcceptance } from './state.js';

export interface RequestMeta {
  /** unique per request; a repeated id is ignored, so a retried send is harmless */
  requestId: string;
  requestedBy: string;
  reason?: string;
}

/** What a deploy or a rollback may carry past the environment's gates. */
export interface GatedRequest extends RequestMeta {
  /**
   * let this one request through a freeze window. The doors allow it only to the admin scope and
   * with a reason, and audit it; the workflow records it on the release's history row.
   */
  overrideFreeze?: boolean;
}

export interface DeployRequest extends GatedRequest {
  imageRef: string;
  valuesOverride?: Record<string, unknown>;
}

export interface RollbackRequest extends GatedRequest {
  /** the release sequence number to return to; default: the last healthy one before the current */
  toRelease?: number;
}

/**
 * An approval or rejection of the request waiting for approval. `decidedBy` is who decides (the
 * door sets it from the caller's identity); the workflow refuses a request's own requester unless
 * the policy allows self-approval, and any request but the one waiting.
 */
export interface ApprovalDecision {
  requestId: string;
  decidedBy: string;
  reason?: string;
}

/** What an approve or reject update answers once the workflow took the decision. */
export interface ApprovalAnswer {
  requestId: string;
  decision: 'approved' | 'rejected';
  /** ISO 8601, workflow time */
  decidedAt: string;
}

/** The failure type of an approve or reject the workflow refuses (not waiting, superseded, self-approval). */
export const APPROVAL_REFUSED = 'ApprovalRefused';

export type StopRequest = RequestMeta;
export type CancelRequest = RequestMeta;

/**
 * Reconcile now instead of at the next safety-net pass: the ops repo's branch moved (sent by the
 * repository's poller), or someone changed or deleted objects the environment manages (sent by
 * the cluster watcher). Several close together make one pass.
 */
export type { ReconcileRequest } from '../src/domain/reconcile.js';

export const deploySignal = defineSignal<[DeployRequest]>('deploy');
export const rollbackSignal = defineSignal<[RollbackRequest]>('rollback');
export const stopSignal = defineSignal<[StopRequest]>('stop');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
export const reconcileSignal = defineSignal<[ReconcileRequest]>('reconcile');
export const deployUpdate = defineUpdate<RequestAcceptance, [DeployRequest]>('deploy');
export const rollbackUpdate = defineUpdate<RequestAcceptance, [RollbackRequest]>('rollback');
export const stopUpdate = defineUpdate<RequestAcceptance, [StopRequest]>('stop');
export const approveUpdate = defineUpdate<ApprovalAnswer, [ApprovalDecision]>('approve');
export const rejectUpdate = defineUpdate<ApprovalAnswer, [ApprovalDecision]>('reject');
/**
 * The environment's policy changed (registration, its project's freeze windows, a notification
 * subscription): the doors send the effective policy so its gates apply to the next request at
 * once, not only after the workflow's next load.
 */
export const policySignal = defineSignal<[EnvironmentPolicy]>('policy');
export const stateQuery = defineQuery<EnvironmentState>('state');

export const TASK_QUEUE = 'deployer';

/**
 * Where background work runs — safety-net and reconcile drift passes, the cluster watcher — so a
 * deploy never waits for an activity slot behind it. Every worker polls both queues.
 */
export function backgroundTaskQueue(taskQueue: string): string {
  return `${taskQueue}-background`;
}

export { environmentWorkflowId } from '../src/domain/environment-workflow-id.js';

/** The one cluster watcher of a task queue (workflows/cluster-watcher.ts). */
export function clusterWatcherWorkflowId(taskQueue: string): string {
  return `cluster-watcher/${taskQueue}`;
}
