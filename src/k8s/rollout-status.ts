// Whether a workload has finished rolling out, decided from the object alone, following the rules
// of `kubectl rollout status` (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go). Pure, so
// each rule is tested on recorded statuses.

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  [field: string]: unknown;
}

/** The fields of a Deployment, StatefulSet, DaemonSet or Job the evaluation reads; raw API JSON fits. */
export interface WorkloadObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: {
    replicas?: number;
    completions?: number;
    progressDeadlineSeconds?: number;
    parallelism?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    succeeded?: number;
    active?: number;
    ready?: number;
    conditions?: Condition[];
    [field: string]: unknown;
  };
}

export interface RolloutStatus {
  done: boolean;
  /** the rollout cannot finish without a change (progress deadline exceeded, Job failed) */
  failed?: boolean;
  /** machine-readable cause of a failure, e.g. ProgressDeadlineExceeded, BackoffLimitExceeded */
  reason?: string;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  message: string;
}

const workloadKinds = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'batch/Job']);

/** Whether waitForRollout has anything to wait for on this kind. */
export function isWorkload(ref: { apiVersion: string; kind: string }): boolean {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
  return workloadKinds.has(`${group}/${ref.kind}`);
}

/**
 * `rolloutSince` (ms since the epoch): when the rollout being waited for was applied. A
 * ProgressDeadlineExceeded condition last updated before then belongs to the previous rollout
 * (a rollback right after a timed-out release sees it until the controller records progress), so
 * it does not fail this one.
 */
export function rolloutStatus(object: WorkloadObject, rolloutSince?: number): RolloutStatus {
  switch (object.kind) {
    case 'Deployment':
      return deploymentStatus(object, rolloutSince);
    case 'StatefulSet':
      return statefulSetStatus(object);
    case 'DaemonSet':
      return daemonSetStatus(object);
    case 'Job':
      return jobStatus(object);
    default:
      throw new Error(`rollout status is not defined for kind ${object.kind}`);
  }
}

function condition(object: WorkloadObject, type: string): Condition | undefined {
  return object.status?.conditions?.find((c) => c.type === type);
}

/** kubectl's "spec update observed" test; a missing generation (never written by the server) counts as observed. */
function observed(object: WorkloadObject): boolean {
  return (object.metadata.generation ?? 0) <= (object.status?.observedGeneration ?? -1);
}

/** Desired, updated, ready and available replicas of a Deployment or StatefulSet. */
function replicaCounts(object: WorkloadObject) {
  const status = object.status ?? {};
  return {
    desired: object.spec?.replicas ?? 1,
    updated: status.updatedReplicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
  };
}

function deploymentStatus(object: WorkloadObject, rolloutSince?: number): RolloutStatus {
  const status = object.status ?? {};
  const counts = replicaCounts(object);
  const desired = counts.desired;
  const total = status.replicas ?? 0;
  if (!observed(object)) return { ...counts, done: false, message: 'waiting for the deployment controller to observe the new spec' };

  const progressing = condition(object, 'Progressing');
  const updatedAt = typeof progressing?.lastUpdateTime === 'string' ? Date.parse(progressing.lastUpdateTime) : NaN;
  // This rollout cannot exceed its deadline sooner than the deadline after it began; a condition
  // updated well before that (half the deadline: condition times are whole seconds, and the
  // rollout began a little before the wait) was written for the previous rollout.
  const deadlineMs = (object.spec?.progressDeadlineSeconds ?? 600) * 1_000;
  const stale = rolloutSince !== undefined && Number.isFinite(updatedAt) && updatedAt < rolloutSince + deadlineMs / 2;
  if (progressing?.reason === 'ProgressDeadlineExceeded' && stale) {
    return { ...counts, done: false, message: 'waiting for the deployment controller to report progress of this rollout (the progress deadline it shows is the previous rollout\'s)' };
  }
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      ...counts,
      done: false,
      failed: true,
      reason: 'ProgressDeadlineExceeded',
      message: progressing.message ?? 'the deployment exceeded its progress deadline',
    };
  }
  if (counts.updated < desired) {
    return { ...counts, done: false, message: `${counts.updated} of ${desired} new replicas have been updated` };
  }
  if (total > counts.updated) {
    return { ...counts, done: false, message: `${total - counts.updated} old replicas are pending termination` };
  }
  if (counts.available < counts.updated) {
    return { ...counts, done: false, message: `${counts.available} of ${counts.updated} updated replicas are available` };
  }
  const available = condition(object, 'Available');
  if (available?.status !== 'True') {
    return { ...counts, done: false, message: `waiting for the Available condition${available?.message ? `: ${available.message}` : ''}` };
  }
  return { ...counts, done: true, message: `successfully rolled out (${counts.available} of ${desired} replicas available)` };
}

function statefulSetStatus(object: WorkloadObject): RolloutStatus {
  const status = object.status ?? {};
  const counts = replicaCounts(object);
  const desired = counts.desired;
  // kubectl also waits for a first observation (observedGeneration 0 = never).
  if (!status.observedGeneration || !observed(object)) {
    return { ...counts, done: false, message: 'waiting for the statefulset controller to observe the new spec' };
  }
  if (counts.ready < desired) return { ...counts, done: false, message: `waiting for ${desired - counts.ready} pods to be ready` };

  const strategy = object.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete') {
    // Pods are only replaced when someone deletes them; there is no rollout to wait for.
    return { ...counts, done: true, message: `${counts.ready} pods ready (OnDelete: pods update when deleted)` };
  }
  const partition = strategy?.rollingUpdate?.partition;
  if (partition !== undefined && partition > 0) {
    const expected = Math.max(desired - partition, 0);
    if (counts.updated < expected) {
      return { ...counts, done: false, message: `partitioned roll out: ${counts.updated} of ${expected} new pods have been updated` };
    }
    return { ...counts, done: true, message: `partitioned roll out complete: ${counts.updated} new pods have been updated` };
  }
  if (status.updateRevision !== status.currentRevision) {
    return {
      ...counts,
      done: false,
      message: `waiting for the rolling update to complete: ${counts.updated} pods at revision ${status.updateRevision}`,
    };
  }
  return { ...counts, done: true, message: `rolling update complete: ${desired} pods at revision ${status.currentRevision}` };
}

function daemonSetStatus(object: WorkloadObject): RolloutStatus {
  const status = object.status ?? {};
  const desired = status.desiredNumberScheduled ?? 0;
  const counts = {
    desired,
    updated: status.updatedNumberScheduled ?? 0,
    ready: status.numberReady ?? 0,
    available: status.numberAvailable ?? 0,
  };
  if (!observed(object)) return { ...counts, done: false, message: 'waiting for the daemon set controller to observe the new spec' };
  if (object.spec?.updateStrategy?.type === 'OnDelete') {
    return { ...counts, done: true, message: `${counts.available} of ${desired} pods available (OnDelete: pods update when deleted)` };
  }
  if (counts.updated < desired) return { ...counts, done: false, message: `${counts.updated} of ${desired} new pods have been updated` };
  if (counts.available < desired) return { ...counts, done: false, message: `${counts.available} of ${desired} updated pods are available` };
  return { ...counts, done: true, message: `successfully rolled out (${desired} pods available)` };
}

function jobStatus(object: WorkloadObject): RolloutStatus {
  const status = object.status ?? {};
  // A Job does not roll out; it runs to completion. Succeeded pods count as updated and available.
  const counts = {
    desired: object.spec?.completions ?? object.spec?.parallelism ?? 1,
    updated: status.succeeded ?? 0,
    ready: status.ready ?? 0,
    available: status.succeeded ?? 0,
  };
  const failed = condition(object, 'Failed');
  if (failed?.status === 'True') {
    return {
      ...counts,
      done: false,
      failed: true,
      reason: failed.reason ?? 'Failed',
      message: failed.message ?? 'the job failed',
    };
  }
  if (condition(object, 'Complete')?.status === 'True') {
    return { ...counts, done: true, message: `completed (${counts.updated} of ${counts.desired} succeeded)` };
  }
  return { ...counts, done: false, message: `running: ${status.active ?? 0} active, ${counts.updated} of ${counts.desired} succeeded` };
}
