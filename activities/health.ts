// The health stage: polls the workloads a deployment applied until every one has rolled out,
// heartbeating their progress so the workflow (and the UI) sees it and cancellation reaches us.
// A rollout that cannot finish (ProgressDeadlineExceeded, a failed Job) fails at once instead of
// waiting out the timeout; a deadline bounds the wait either way. While the API server does not
// answer, the wait goes on (still heartbeating) until that same deadline, and only then fails,
// as KubernetesUnavailable naming since when: a 30-second API server restart is not a failed release.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isNotFound, KubeApiError, KubeClient, resourceUrlPath } from '../src/k8s/client.js';
import { apiGroup, apiVersionOnly, describeRef } from '../src/k8s/objects.js';
import { isWorkload, rolloutStatus, type WorkloadObject } from '../src/k8s/rollout-status.js';
import type { ActivityDeps } from './index.js';
import { rolloutReporter, type ReportRollout } from './rollout-reporter.js';
import type { ObjectRef, RolloutProgress, WaitForRolloutInput, WaitForRolloutResult } from './types.js';

// Between reads the wait watches the workloads, so a status change is seen when it happens (as
// `kubectl rollout status` sees it). The reads back off in case the watch cannot be had: check
// soon, then every 2 s at most.
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
  /** set while the API server does not answer: since when, and its last error */
  unavailable?: { since: number; error: string };
}

// One poll may not take longer than this: a hung request must not outlast the heartbeat timeout.
const POLL_REQUEST_TIMEOUT_MS = 5_000;

/** An answer that says the API server is unreachable or overloaded, not that the request is wrong. */
function isUnavailable(error: unknown): boolean {
  if (error instanceof KubeApiError) return error.code >= 500 || error.code === 429;
  return error instanceof Error && !isCancellation(error);
}

function isCancellation(error: Error): boolean {
  return error.name === 'CancelledFailure' || error.name === 'AbortError';
}

export function createHealthActivities(deps: Pick<ActivityDeps, 'kubeConfig'> & { reportRollout?: ReportRollout }) {
  return {
    async waitForRollout(input: WaitForRolloutInput): Promise<WaitForRolloutResult> {
      const context = Context.current();
      const client = new KubeClient(deps.kubeConfig, context.cancellationSignal, POLL_REQUEST_TIMEOUT_MS, input.impersonate);
      const previous = context.info.heartbeatDetails as Partial<RolloutHeartbeat> | undefined;
      const startedAt = typeof previous?.startedAt === 'number' ? previous.startedAt : Date.now();
      const deadline = startedAt + input.timeoutMs;
      const workloads: ObjectRef[] = input.objects
        .filter(isWorkload)
        .map((ref) => ({ ...ref, namespace: ref.namespace ?? input.namespace }));

      const report = rolloutReporter(deps.reportRollout, context.info, (error) =>
        context.log.warn('could not record the rollout progress', { error: error instanceof Error ? error.message : String(error) }),
      );
      let unavailable = previous?.unavailable;
      let lastProgress: RolloutProgress[] = previous?.workloads ?? [];
      for (let delay = FIRST_POLL_MS; ; delay = nextPollDelay(delay)) {
        let progress: Observed[];
        try {
          progress = await Promise.all(workloads.map((ref) => observe(client, ref, startedAt)));
          unavailable = undefined;
        } catch (error) {
          if (context.cancellationSignal.aborted || !isUnavailable(error)) throw error;
          unavailable = { since: unavailable?.since ?? Date.now(), error: (error as Error).message };
          context.heartbeat({ startedAt, workloads: lastProgress, unavailable } satisfies RolloutHeartbeat);
          if (Date.now() >= deadline) {
            throw ApplicationFailure.create({
              type: 'KubernetesUnavailable',
              nonRetryable: true,
              message:
                `KubernetesUnavailable: the API server has not answered since ${new Date(unavailable.since).toISOString()} ` +
                `and the rollout deadline (${input.timeoutMs / 1000} s) has passed: ${unavailable.error}`,
            });
          }
          await context.sleep(Math.min(MAX_POLL_MS, Math.max(deadline - Date.now(), 0)));
          continue;
        }
        lastProgress = progress.map(({ failure: _, resourceVersion: __, ...p }) => p);
        context.heartbeat({ startedAt, workloads: lastProgress } satisfies RolloutHeartbeat);
        report(lastProgress);

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
        if (waiting.length === 0) return { workloads: lastProgress };
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
        await untilChanged(client, waiting, Math.min(MAX_POLL_MS, Math.max(deadline - Date.now(), 0)), () =>
          context.sleep(Math.min(delay, Math.max(deadline - Date.now(), 0))),
        );
      }
    },
  };
}

type Observed = RolloutProgress & { failure?: string; resourceVersion?: string };

function workloadPath(ref: ObjectRef, name?: string): string {
  return resourceUrlPath({
    group: apiGroup(ref.apiVersion),
    version: apiVersionOnly(ref.apiVersion),
    resource: workloadResources[ref.kind]!,
    namespace: ref.namespace,
    name,
  });
}

/**
 * Until one of the waiting workloads changes (a watch from the version just read), `waitMs` at
 * most; where a watch cannot be had (no version, no permission to watch, an error), `fallback`.
 */
async function untilChanged(client: KubeClient, waiting: Observed[], waitMs: number, fallback: () => Promise<void>): Promise<void> {
  if (waiting.some((p) => !p.resourceVersion)) return fallback();
  try {
    await Promise.race(
      waiting.map((p) => client.changedSince(workloadPath(p.ref), { fieldSelector: `metadata.name=${p.ref.name}` }, p.resourceVersion!, waitMs)),
    );
  } catch (error) {
    if (error instanceof Error && isCancellation(error)) throw error;
    await fallback();
  }
}

async function observe(client: KubeClient, ref: ObjectRef, rolloutSince: number): Promise<Observed> {
  const path = workloadPath(ref, ref.name);
  let object: WorkloadObject;
  try {
    object = await client.get<WorkloadObject>(path);
  } catch (error) {
    // Applied moments ago: a missing workload is either not visible yet or deleted by someone;
    // keep waiting and let the deadline name it.
    if (isNotFound(error)) return { ref, desired: 0, updated: 0, ready: 0, available: 0, done: false, message: 'not found' };
    throw error;
  }
  const status = rolloutStatus(object, rolloutSince);
  return {
    ref,
    desired: status.desired,
    updated: status.updated,
    ready: status.ready,
    available: status.available,
    done: status.done,
    message: status.message,
    ...(status.failed ? { failure: status.reason ?? 'Failed' } : {}),
    ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
  };
}
