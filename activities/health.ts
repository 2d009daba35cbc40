// The health stage: polls the workloads a deployment applied until every one has rolled out,
// heartbeating their progress so the workflow (and the UI) sees it and cancellation reaches us.
// A rollout that cannot finish (ProgressDeadlineExceeded, a failed Job) fails at once instead of
// waiting out the timeout; a deadline bounds the wait either way.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isNotFound, KubeClient, resourceUrlPath } from '../src/k8s/client.js';
import { apiGroup, apiVersionOnly, describeRef } from '../src/k8s/objects.js';
import { isWorkload, rolloutStatus, type WorkloadObject } from '../src/k8s/rollout-status.js';
import type { ActivityDeps } from './index.js';
import type { ObjectRef, RolloutProgress, WaitForRolloutInput, WaitForRolloutResult } from './types.js';

// Most rollouts finish within a second or two of the apply: check soon, then back off, so quick
// rollouts are seen quickly and long ones cost the API server one read per workload per 2 s.
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2_000;

export function nextPollDelay(previous: number): number {
  return Math.min(MAX_POLL_MS, Math.max(FIRST_POLL_MS, Math.round(previous * 1.5)));
}

const workloadResources: Record<string, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
};

/** What each heartbeat carries; `startedAt` lets a retried attempt keep the first attempt's deadline. */
export interface RolloutHeartbeat {
  startedAt: number;
  workloads: RolloutProgress[];
}

export function createHealthActivities(deps: Pick<ActivityDeps, 'kubeConfig'>) {
  return {
    async waitForRollout(input: WaitForRolloutInput): Promise<WaitForRolloutResult> {
      const context = Context.current();
      const client = new KubeClient(deps.kubeConfig, context.cancellationSignal, undefined, input.impersonate);
      const previous = context.info.heartbeatDetails as Partial<RolloutHeartbeat> | undefined;
      const startedAt = typeof previous?.startedAt === 'number' ? previous.startedAt : Date.now();
      const deadline = startedAt + input.timeoutMs;
      const workloads: ObjectRef[] = input.objects
        .filter(isWorkload)
        .map((ref) => ({ ...ref, namespace: ref.namespace ?? input.namespace }));

      for (let delay = FIRST_POLL_MS; ; delay = nextPollDelay(delay)) {
        const progress = await Promise.all(workloads.map((ref) => observe(client, ref)));
        context.heartbeat({ startedAt, workloads: progress.map(({ failure: _, ...p }) => p) } satisfies RolloutHeartbeat);

        const failed = progress.find((p) => p.failure);
        if (failed) {
          throw ApplicationFailure.create({
            type: 'RolloutFailed',
            nonRetryable: true,
            message: `${describeRef(failed.ref)}: ${failed.failure} — ${failed.message}`,
            details: [{ workloads: progress }],
          });
        }
        const waiting = progress.filter((p) => !p.done);
        if (waiting.length === 0) return { workloads: progress.map(({ failure: _, ...p }) => p) };
        if (Date.now() >= deadline) {
          throw ApplicationFailure.create({
            type: 'RolloutTimeout',
            nonRetryable: true,
            message:
              `rollout not finished after ${input.timeoutMs / 1000} s: ` +
              waiting.map((p) => `${describeRef(p.ref)}: ${p.message}`).join('; '),
            details: [{ workloads: progress }],
          });
        }
        // Rejects with CancelledFailure as soon as the activity is cancelled.
        await context.sleep(Math.min(delay, Math.max(deadline - Date.now(), 0)));
      }
    },
  };
}

async function observe(client: KubeClient, ref: ObjectRef): Promise<RolloutProgress & { failure?: string }> {
  const path = resourceUrlPath({
    group: apiGroup(ref.apiVersion),
    version: apiVersionOnly(ref.apiVersion),
    resource: workloadResources[ref.kind]!,
    namespace: ref.namespace,
    name: ref.name,
  });
  let object: WorkloadObject;
  try {
    object = await client.get<WorkloadObject>(path);
  } catch (error) {
    // Applied moments ago: a missing workload is either not visible yet or deleted by someone;
    // keep waiting and let the deadline name it.
    if (isNotFound(error)) return { ref, desired: 0, updated: 0, ready: 0, available: 0, done: false, message: 'not found' };
    throw error;
  }
  const status = rolloutStatus(object);
  return {
    ref,
    desired: status.desired,
    updated: status.updated,
    ready: status.ready,
    available: status.available,
    done: status.done,
    message: status.message,
    ...(status.failed ? { failure: status.reason ?? 'Failed' } : {}),
  };
}
