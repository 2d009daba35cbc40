// The vocabulary every layer shares: ops repositories, environment policies, Kubernetes object
// identities and what happened to them. Plain types (and the policy defaults); no I/O, no Temporal.
import type { FreezeWindow } from './freeze-windows.js';

export interface OpsRepoSource {
  url: string;
  branch: string;
  /** sub-directory of the repository holding the environment's files */
  path: string;
}

export interface EnvironmentPolicy {
  /** a deployment starts no sooner than this after the previous one started */
  minIntervalMs: number;
  /**
   * idle time after which the desired release is re-applied: the safety net. Changes in the ops repo
   * and in the cluster are reconciled as they are noticed, not on this timer.
   */
  driftIntervalMs: number;
  /** roll back to the last healthy release when a deployment fails its health check */
  autoRollback: boolean;
  /** how long a rollout may take before it is failed */
  healthTimeoutMs: number;
  /** take over fields another field manager owns instead of failing on the conflict */
  forceConflicts: boolean;
  /** leave spec.replicas to an autoscaler: it is omitted from what we apply */
  hasAutoscaler: boolean;
  /** deploys and rollbacks wait for an approval (absent: they do not) */
  approval?: ApprovalPolicy;
  /**
   * when deploys (and, if a window says so, rollbacks) wait: the environment's own windows and its
   * project's, validated (freeze-windows.ts). Absent or empty: never.
   */
  freezeWindows?: FreezeWindow[];
  /**
   * whether a notification subscription covers the environment: set by the loader from the
   * subscriptions, never registered. Without one the workflow sends no events at all.
   */
  notifications?: boolean;
}

/** An environment's approval gate. */
export interface ApprovalPolicy {
  /** every deploy and rollback request waits for someone with the deploy:approve scope */
  required: boolean;
  /** a request not approved within this is refused as expired */
  expiresAfterMs: number;
  /** whether the one who asked may approve their own request (default false) */
  allowSelfApproval: boolean;
}

/**
 * What became of a request that waited for an approval, as its history row keeps it: written by
 * the workflow when the decision is taken, only stored and shown by the rest.
 */
export interface ApprovalRecord {
  decision: 'approved' | 'rejected' | 'expired';
  /** who approved or rejected; absent when the request expired */
  by?: string;
  /** ISO 8601, when the decision was taken (or the request expired) */
  at: string;
  reason?: string;
}

export const defaultPolicy: EnvironmentPolicy = {
  minIntervalMs: 2_000,
  driftIntervalMs: 60 * 60_000,
  autoRollback: true,
  healthTimeoutMs: 5 * 60_000,
  forceConflicts: false,
  hasAutoscaler: false,
};

/** An environment by identity: the name of its workflow, its row, its labels. */
export interface EnvironmentRef {
  project: string;
  environment: string;
}

/** A Kubernetes object by identity. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** What an apply did to one object. */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'pruned';

/** One field an apply changes among those the environment manages (a dry run's readable diff). */
export interface FieldChange {
  /** where, e.g. `spec.template.spec.containers[name=web].image` */
  path: string;
  /** the value before; missing when the apply adds the field */
  before?: unknown;
  /** the value after; missing when the apply removes the field */
  after?: unknown;
}

/** How far one workload has rolled out. */
export interface RolloutProgress {
  ref: ObjectRef;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  done: boolean;
  message?: string;
}
