// Activities for workflow tests: they do nothing to a cluster but record every call (with the
// workflow time at which it was scheduled) and let a test decide outcomes and hold a rollout open.
import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import type { RecordedState } from '../../src/domain/recorded-state.js';
import type { ReleaseChanges } from '../../src/domain/release-changes.js';
import { createDriftCheckActivities } from '../../activities/drift-check.js';
import { createApplyReleaseActivities } from '../../activities/apply-release.js';
import { createRollOutReleaseActivities } from '../../activities/roll-out-release.js';
import { createPreviewReleaseActivities } from '../../activities/preview-release.js';
import { createRequestApprovalActivities } from '../../activities/request-approval.js';
import { defaultPolicy, type DeployerActivities, type EnvironmentPolicy, type HistoryRecord } from '../../activities/types.js';

export interface RecordedCall {
  name: keyof DeployerActivities;
  input: any;
  workflowId: string;
  attempt: number;
  /** workflow time the activity was scheduled at */
  scheduledAt: number;
}

/** How a step told to fail fails: at once with an error, or by going silent past its heartbeat timeout. */
export type StepFailure = { message: string; type?: string; retryable?: boolean } | { stallMs: number };

export interface RecordingOptions {
  policy?: Partial<EnvironmentPolicy>;
  /** rollouts of these images fail their health check */
  failingImages?: string[];
}

export class RecordingActivities {
  readonly calls: RecordedCall[] = [];
  /** history rows by idempotency key, as the real record activity keeps them */
  readonly history = new Map<string, HistoryRecord>();
  /** what each release's apply did, by the idempotency key of its history row */
  readonly releaseChanges = new Map<string, ReleaseChanges>();
  readonly cancelledRollouts: string[] = [];
  policy: EnvironmentPolicy;
  failingImages: Set<string>;
  /** the ops repo branch head the fake sync reports; tests move it */
  branchHead = 'sha-1';
  /** when true, scaling finds nothing to change, as in a stopped environment nobody scaled up */
  nothingToScale = false;
  /** the next release rollouts whose own healthy record Postgres refuses (the workflow writes it then) */
  refuseRolloutRecords = 0;
  private failures = new Map<keyof DeployerActivities, StepFailure[]>();
  private holding = new Set<keyof DeployerActivities>();
  private held = new Map<keyof DeployerActivities, Array<() => void>>();
  private heldRollouts: Array<() => void> = [];
  holdRollouts = false;
  /** when true, applyManifests heartbeats and waits, as a long apply would, until the worker goes away */
  holdApplies = false;
  applyStarted = 0;
  /** the apply result's `changed` flag for drift passes */
  applyChanges = false;
  /** the subscriptions listNotificationSubscribers answers with (none by default) */
  notificationSubscribers: number[] = [];
  /** what Postgres "remembers" for a run that starts without carried state (nothing by default) */
  recordedState?: RecordedState;

  constructor(options: RecordingOptions = {}) {
    this.policy = { ...defaultPolicy, ...options.policy };
    this.failingImages = new Set(options.failingImages ?? []);
  }

  callsOf(name: keyof DeployerActivities, workflowId?: string): RecordedCall[] {
    return this.calls.filter((c) => c.name === name && (workflowId === undefined || c.workflowId === workflowId));
  }

  releaseRollouts(): void {
    const held = this.heldRollouts;
    this.heldRollouts = [];
    this.holdRollouts = false;
    for (const release of held) release();
  }

  get rolloutsWaiting(): number {
    return this.heldRollouts.length;
  }

  /** The next calls of `name` fail, one failure each, in order; the calls after them succeed. */
  failNext(name: keyof DeployerActivities, ...failures: StepFailure[]): void {
    this.failures.set(name, [...(this.failures.get(name) ?? []), ...failures]);
  }

  /** Calls of `name` wait, heartbeating, until `release(name)`. */
  hold(name: keyof DeployerActivities): void {
    this.holding.add(name);
  }

  release(name: keyof DeployerActivities): void {
    this.holding.delete(name);
    for (const go of this.held.get(name) ?? []) go();
    this.held.delete(name);
  }

  waiting(name: keyof DeployerActivities): number {
    return this.held.get(name)?.length ?? 0;
  }

  /** Records the call, then holds or fails it as the test asked. */
  private async step(name: keyof DeployerActivities, input: unknown): Promise<void> {
    this.record(name, input);
    if (this.holding.has(name)) {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat({ held: name }), 200);
      try {
        await Promise.race([new Promise<void>((go) => this.held.set(name, [...(this.held.get(name) ?? []), go])), context.cancelled]);
      } finally {
        clearInterval(beat);
      }
    }
    const failure = this.failures.get(name)?.shift();
    if (!failure) return;
    if ('stallMs' in failure) {
      await Promise.race([new Promise((resolve) => setTimeout(resolve, failure.stallMs)), Context.current().cancelled]);
      throw ApplicationFailure.retryable(`${name} answered after ${failure.stallMs} ms, too late`);
    }
    throw failure.retryable ? ApplicationFailure.retryable(failure.message, failure.type) : ApplicationFailure.nonRetryable(failure.message, failure.type);
  }

  private record(name: keyof DeployerActivities, input: unknown): void {
    const info = activityInfo();
    this.calls.push({ name, input, workflowId: info.workflowExecution?.workflowId ?? '', attempt: info.attempt, scheduledAt: info.scheduledTimestampMs });
  }

  activities(): DeployerActivities {
    const steps: Omit<DeployerActivities, 'checkDrift' | 'applyRelease' | 'rollOutRelease' | 'previewRelease' | 'requestApproval'> = {
      loadEnvironment: async (ref) => {
        await this.step('loadEnvironment', ref);
        return {
          ...ref,
          namespace: `${ref.project}-${ref.environment}`,
          opsRepo: { url: 'https://git.example/ops.git', branch: 'main', path: '.' },
          manifestPath: 'app.yaml.njk',
          valuesOverride: {},
          policy: this.policy,
        };
      },
      syncOpsRepo: async (input) => {
        await this.step('syncOpsRepo', input);
        return { sha: input.pinSha ?? input.knownHead ?? this.branchHead };
      },
      renderManifests: async (input) => {
        await this.step('renderManifests', input);
        const manifestHash = `${input.sha}:${input.imageRef}:${JSON.stringify(input.valuesOverrides)}`;
        return { manifestHash, objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: input.namespace }] };
      },
      applyManifests: async (input) => {
        await this.step('applyManifests', input);
        if (this.holdApplies) {
          this.applyStarted += 1;
          const context = Context.current();
          const beat = setInterval(() => context.heartbeat({ step: 'apply' }), 200);
          try {
            await context.cancelled; // only a worker shutdown (or a cancel) ends it
          } finally {
            clearInterval(beat);
          }
        }
        const changed = this.applyChanges;
        return { changed, changes: [{ ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: input.namespace }, action: changed ? 'configured' : 'unchanged' }] };
      },
      waitForRollout: async (input) => {
        this.record('waitForRollout', input);
        const context = Context.current();
        if (this.holdRollouts) {
          // Heartbeat while held, so cancellation reaches this attempt.
          const beat = setInterval(() => context.heartbeat({ ready: 0 }), 200);
          try {
            await Promise.race([new Promise<void>((resolve) => this.heldRollouts.push(resolve)), context.cancelled]);
          } catch (error) {
            this.cancelledRollouts.push(activityInfo().workflowExecution?.workflowId ?? '');
            throw error;
          } finally {
            clearInterval(beat);
          }
        }
        // The rollout being waited for is of the workflow's most recent render.
        const rendered = this.callsOf('renderManifests', activityInfo().workflowExecution?.workflowId).at(-1)?.input as { imageRef: string } | undefined;
        if (rendered && this.failingImages.has(rendered.imageRef)) {
          throw ApplicationFailure.nonRetryable(`Deployment web: ProgressDeadlineExceeded (${rendered.imageRef})`, 'RolloutFailed');
        }
        return { workloads: [{ ref: input.objects[0]!, desired: 1, updated: 1, ready: 1, available: 1, done: true }] };
      },
      scaleWorkloads: async (input) => {
        await this.step('scaleWorkloads', input);
        if (this.nothingToScale) return { scaled: [] };
        return { scaled: [{ ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: input.namespace }, from: 1, to: input.action === 'stop' ? 0 : 1 }] };
      },
      recordHistory: async (row) => {
        this.record('recordHistory', row);
        this.history.set(row.idempotencyKey, { ...this.history.get(row.idempotencyKey), ...row });
      },
      recordCurrentState: async (row) => {
        this.record('recordCurrentState', row);
      },
      loadRecordedState: async (query) => {
        this.record('loadRecordedState', query);
        return this.recordedState ?? { releases: [], releaseCount: 0, stopped: false, closedInProgress: 0 };
      },
      // Notifications are recorded, never sent: no subscriber, or each delivered at once.
      listNotificationSubscribers: async (input) => {
        this.record('listNotificationSubscribers', input);
        return { subscriptionIds: this.notificationSubscribers };
      },
      deliverNotification: async (input) => {
        this.record('deliverNotification', input);
        return { status: 'delivered', attempts: 1 };
      },
    };
    // A drift pass's and a release's composite activities run the steps above, as the worker's run the real ones.
    const drift = createDriftCheckActivities(steps);
    const withChanges = {
      ...steps,
      recordReleaseChanges: async (key: string, changes: ReleaseChanges) => {
        this.releaseChanges.set(key, changes);
      },
    };
    const release = createApplyReleaseActivities(withChanges);
    const preview = createPreviewReleaseActivities(steps);
    const approval = createRequestApprovalActivities(withChanges);
    const rollOut = createRollOutReleaseActivities({
      ...steps,
      finishHistory: async (row) => {
        if (this.refuseRolloutRecords > 0) {
          this.refuseRolloutRecords -= 1;
          throw new Error('connection terminated unexpectedly');
        }
        if (this.history.get(row.idempotencyKey)?.status !== 'in-progress') return false;
        await steps.recordHistory(row);
        return true;
      },
    });
    return {
      ...steps,
      checkDrift: async (input) => {
        await this.step('checkDrift', input);
        return drift.checkDrift(input);
      },
      applyRelease: async (input) => {
        await this.step('applyRelease', input);
        return release.applyRelease(input);
      },
      rollOutRelease: async (input) => {
        this.record('rollOutRelease', input);
        return rollOut.rollOutRelease(input);
      },
      previewRelease: async (request) => {
        this.record('previewRelease', request);
        return preview.previewRelease(request);
      },
      requestApproval: async (input) => {
        await this.step('requestApproval', input);
        return approval.requestApproval(input);
      },
    };
  }
}
