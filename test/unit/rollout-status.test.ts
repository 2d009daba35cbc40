// The rollout rules on statuses as the controllers write them (shapes copied from a v1.36 cluster).
import { describe, expect, it } from 'vitest';
import { isWorkload, rolloutStatus, type WorkloadObject } from '../../src/k8s/rollout-status.js';

function deployment(generation: number, status: NonNullable<WorkloadObject['status']>, replicas = 3): WorkloadObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', generation },
    spec: { replicas },
    status,
  };
}

const progressing = (reason: string, message: string) => ({
  type: 'Progressing',
  status: reason === 'ProgressDeadlineExceeded' ? 'False' : 'True',
  reason,
  message,
  lastUpdateTime: '2026-11-23T10:00:05Z',
  lastTransitionTime: '2026-11-23T10:00:00Z',
});
const available = (status: 'True' | 'False') => ({
  type: 'Available',
  status,
  reason: status === 'True' ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
  message: status === 'True' ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
});

describe('rolloutStatus of a Deployment', () => {
  it('is in progress while new replicas are still being created', () => {
    const status = rolloutStatus(
      deployment(2, {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        readyReplicas: 3,
        availableReplicas: 3,
        unavailableReplicas: 1,
        conditions: [available('True'), progressing('ReplicaSetUpdated', 'ReplicaSet "web-7d9c5b" is progressing.')],
      }),
    );
    expect(status).toMatchObject({ done: false, desired: 3, updated: 1, ready: 3, available: 3 });
    expect(status.failed).toBeUndefined();
    expect(status.message).toBe('1 of 3 new replicas have been updated');
  });

  it('is done when every replica is updated and available and the Deployment is Available', () => {
    const status = rolloutStatus(
      deployment(2, {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [available('True'), progressing('NewReplicaSetAvailable', 'ReplicaSet "web-7d9c5b" has successfully progressed.')],
      }),
    );
    expect(status).toMatchObject({ done: true, desired: 3, updated: 3, ready: 3, available: 3 });
  });

  it('waits while old replicas are still terminating', () => {
    const status = rolloutStatus(
      deployment(2, {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 3,
        readyReplicas: 4,
        availableReplicas: 4,
        conditions: [available('True'), progressing('ReplicaSetUpdated', 'ReplicaSet "web-7d9c5b" is progressing.')],
      }),
    );
    expect(status.done).toBe(false);
    expect(status.message).toBe('1 old replicas are pending termination');
  });

  it('waits until updated replicas are available', () => {
    const status = rolloutStatus(
      deployment(2, {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [available('True'), progressing('ReplicaSetUpdated', 'ReplicaSet "web-7d9c5b" is progressing.')],
      }),
    );
    expect(status).toMatchObject({ done: false, message: '2 of 3 updated replicas are available' });
  });

  it('does not trust a status the controller wrote for an older generation', () => {
    // The counts describe the previous spec: everything looks finished, but the new image is not rolled out yet.
    const status = rolloutStatus(
      deployment(3, {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [available('True'), progressing('NewReplicaSetAvailable', 'ReplicaSet "web-7d9c5b" has successfully progressed.')],
      }),
    );
    expect(status.done).toBe(false);
    expect(status.message).toMatch(/observe the new spec/);
  });

  it('ignores an old ProgressDeadlineExceeded until the new spec is observed', () => {
    const status = rolloutStatus(
      deployment(4, {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 0,
        conditions: [available('False'), progressing('ProgressDeadlineExceeded', 'ReplicaSet "web-5f6d7" has timed out progressing.')],
      }),
    );
    expect(status.failed).toBeUndefined();
    expect(status.done).toBe(false);
  });

  it('fails with the controller message when the progress deadline is exceeded', () => {
    const status = rolloutStatus(
      deployment(1, {
        observedGeneration: 1,
        replicas: 2,
        updatedReplicas: 2,
        unavailableReplicas: 2,
        conditions: [
          available('False'),
          progressing('ProgressDeadlineExceeded', 'ReplicaSet "stuck-6b7f9c8d4" has timed out progressing.'),
        ],
      }, 2),
    );
    expect(status).toMatchObject({
      done: false,
      failed: true,
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "stuck-6b7f9c8d4" has timed out progressing.',
      desired: 2,
      updated: 2,
      available: 0,
    });
  });

  it("does not fail a rollback on the previous rollout's ProgressDeadlineExceeded, but does fail it on its own", () => {
    // The stuck release timed out at 10:00:05 (the condition's lastUpdateTime); the rollback's wait
    // began at 10:00:06, with a 5 s deadline.
    const stuck = (generation: number) =>
      deployment(generation, {
        observedGeneration: generation,
        replicas: 3,
        updatedReplicas: 0,
        conditions: [available('True'), progressing('ProgressDeadlineExceeded', 'ReplicaSet "web-stuck" has timed out progressing.')],
      });
    const withDeadline = (object: WorkloadObject) => ({ ...object, spec: { ...object.spec, progressDeadlineSeconds: 5 } });
    const rollbackWaitBegan = Date.parse('2026-11-23T10:00:06Z');
    const stale = rolloutStatus(withDeadline(stuck(5)), rollbackWaitBegan);
    expect(stale.failed).toBeUndefined();
    expect(stale.message).toMatch(/the progress deadline it shows is the previous rollout's/);
    // A deadline exceeded a full deadline after the wait began is this rollout's own.
    const own = rolloutStatus(withDeadline(stuck(5)), Date.parse('2026-11-23T09:59:59Z'));
    expect(own).toMatchObject({ failed: true, reason: 'ProgressDeadlineExceeded' });
    // Without a start time (as kubectl has none) it fails, as before.
    expect(rolloutStatus(withDeadline(stuck(5)))).toMatchObject({ failed: true });
  });

  it('waits for the Available condition even when the counts are complete', () => {
    const status = rolloutStatus(
      deployment(1, {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [available('False')],
      }, 1),
    );
    expect(status.done).toBe(false);
    expect(status.message).toMatch(/Available condition/);
  });

  it('is done at once for a Deployment scaled to zero', () => {
    const status = rolloutStatus(deployment(5, { observedGeneration: 5, conditions: [available('True')] }, 0));
    expect(status).toMatchObject({ done: true, desired: 0, updated: 0, available: 0 });
  });
});

function statefulSet(spec: WorkloadObject['spec'], status: NonNullable<WorkloadObject['status']>, generation = 2): WorkloadObject {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop', generation }, spec, status };
}
const rollingUpdate = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };

describe('rolloutStatus of a StatefulSet', () => {
  it('waits for pods to become ready', () => {
    const status = rolloutStatus(
      statefulSet({ replicas: 3, updateStrategy: rollingUpdate }, {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: 1,
        availableReplicas: 1,
        updatedReplicas: 1,
        currentRevision: 'db-5c8b7d9f6',
        updateRevision: 'db-7f4d8c5b9',
      }),
    );
    expect(status).toMatchObject({ done: false, desired: 3, ready: 1, message: 'waiting for 2 pods to be ready' });
  });

  it('waits while the update revision differs from the current one', () => {
    const status = rolloutStatus(
      statefulSet({ replicas: 3, updateStrategy: rollingUpdate }, {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        updatedReplicas: 2,
        currentRevision: 'db-5c8b7d9f6',
        updateRevision: 'db-7f4d8c5b9',
      }),
    );
    expect(status.done).toBe(false);
    expect(status.message).toMatch(/revision db-7f4d8c5b9/);
  });

  it('is done when all pods are ready at the update revision', () => {
    const status = rolloutStatus(
      statefulSet({ replicas: 3, updateStrategy: rollingUpdate }, {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        updatedReplicas: 3,
        currentRevision: 'db-7f4d8c5b9',
        updateRevision: 'db-7f4d8c5b9',
      }),
    );
    expect(status).toMatchObject({ done: true, desired: 3, updated: 3, ready: 3, available: 3 });
  });

  it('waits until the controller observed the spec (observedGeneration 0 means never)', () => {
    const status = rolloutStatus(statefulSet({ replicas: 1, updateStrategy: rollingUpdate }, { observedGeneration: 0 }, 1));
    expect(status.done).toBe(false);
  });

  it('is done for a partitioned update once the pods above the partition are updated', () => {
    const status = rolloutStatus(
      statefulSet({ replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, {
        observedGeneration: 2,
        replicas: 4,
        readyReplicas: 4,
        availableReplicas: 4,
        updatedReplicas: 2,
        currentRevision: 'db-5c8b7d9f6',
        updateRevision: 'db-7f4d8c5b9',
      }),
    );
    expect(status.done).toBe(true);
    expect(status.message).toMatch(/partitioned roll out complete/);
  });
});

describe('rolloutStatus of a DaemonSet', () => {
  const daemonSet = (status: NonNullable<WorkloadObject['status']>, generation = 3): WorkloadObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'shop', generation },
    spec: { updateStrategy: { type: 'RollingUpdate' } },
    status,
  });

  it('waits while nodes still run the old pod', () => {
    const status = rolloutStatus(
      daemonSet({ observedGeneration: 3, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 2, numberReady: 3, numberAvailable: 3 }),
    );
    expect(status).toMatchObject({ done: false, desired: 3, updated: 2, message: '2 of 3 new pods have been updated' });
  });

  it('waits until the updated pods are available', () => {
    const status = rolloutStatus(daemonSet({ observedGeneration: 3, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 2, numberAvailable: 2 }));
    expect(status).toMatchObject({ done: false, message: '2 of 3 updated pods are available' });
  });

  it('is done when every scheduled pod is updated and available', () => {
    const status = rolloutStatus(daemonSet({ observedGeneration: 3, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3, numberAvailable: 3 }));
    expect(status).toMatchObject({ done: true, desired: 3, updated: 3, ready: 3, available: 3 });
  });

  it('does not trust a stale status', () => {
    const status = rolloutStatus(daemonSet({ observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }, 3));
    expect(status.done).toBe(false);
  });
});

describe('rolloutStatus of a Job', () => {
  const job = (status: NonNullable<WorkloadObject['status']>): WorkloadObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'shop', generation: 1 },
    spec: { completions: 1, parallelism: 1 },
    status,
  });

  it('is running while pods are active', () => {
    const status = rolloutStatus(job({ active: 1, ready: 1, startTime: '2026-11-23T10:00:00Z' }));
    expect(status).toMatchObject({ done: false, desired: 1, ready: 1, message: 'running: 1 active, 0 of 1 succeeded' });
  });

  it('is done when the Complete condition is True', () => {
    const status = rolloutStatus(
      job({
        succeeded: 1,
        ready: 0,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
        ],
      }),
    );
    expect(status).toMatchObject({ done: true, updated: 1, available: 1 });
  });

  it('fails with the reason and message of the Failed condition', () => {
    const status = rolloutStatus(
      job({
        failed: 7,
        conditions: [
          { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
        ],
      }),
    );
    expect(status).toMatchObject({ done: false, failed: true, reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  });
});

describe('isWorkload', () => {
  it('names the kinds a rollout is waited for, by group', () => {
    expect(isWorkload({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe(true);
    expect(isWorkload({ apiVersion: 'apps/v1', kind: 'StatefulSet' })).toBe(true);
    expect(isWorkload({ apiVersion: 'apps/v1', kind: 'DaemonSet' })).toBe(true);
    expect(isWorkload({ apiVersion: 'batch/v1', kind: 'Job' })).toBe(true);
    expect(isWorkload({ apiVersion: 'v1', kind: 'Service' })).toBe(false);
    expect(isWorkload({ apiVersion: 'v1', kind: 'ConfigMap' })).toBe(false);
    // A custom resource that happens to be called Deployment is not the apps/v1 one.
    expect(isWorkload({ apiVersion: 'example.com/v1', kind: 'Deployment' })).toBe(false);
  });
});

describe('the rollout poll schedule', () => {
  it('checks soon after the apply and backs off to one check every 2 s', async () => {
    const { nextPollDelay } = await import('../../activities/health.js');
    const delays = [100];
    while (delays.length < 12) delays.push(nextPollDelay(delays.at(-1)!));
    expect(delays.slice(0, 5)).toEqual([100, 150, 225, 338, 507]);
    expect(delays.at(-1)).toBe(2_000);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThan(12 * 2_000);
  });
});
