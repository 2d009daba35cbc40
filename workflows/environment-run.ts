// What one run of an environment workflow holds while it runs: the carried state, the work in
// flight, a stop or cancel that interrupts it, and what it last showed in the Temporal UI. The
// handlers, the loop and the passes share it; the rules they apply live in decide.ts.
import { ApplicationFailure, patched, setCurrentDetails, upsertSearchAttributes, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import type { CurrentStateRecord, EnvironmentConfig, HistoryRecord, ReachedRelease } from '../activities/types.js';
import { historyKey } from '../src/domain/history-key.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import { interruptible, isUnregistered, logRequest } from './decide.js';
import { currentDetailsMarkdown, describeState } from './display.js';
import type { RequestMeta } from './messages.js';
import { Notifier, type EventFields } from './notify.js';
import type { NotificationEventType } from '../src/domain/notifications.js';
import { DeployEnvironment, DeployImage, DeployProject, DeployStatus } from './search-attributes.js';
import { liveStatus, sameLiveStatus } from './live-status.js';
import type { LiveStatus } from '../src/domain/live-status.js';
import { environmentSink } from './sinks.js';
import type { CarriedState, InFlight, RequestLogUpdate, Step } from './state.js';
import { loadEnvironment, recordCurrentState, recordHistory, type Queue, type RecordOptions } from './steps.js';

export class EnvironmentRun {
  state: CarriedState;
  inFlight: InFlight | undefined;
  /** set by stop/cancel while a deployment is in flight; the wait for health ends on it */
  interruption: { by: string; reason: string } | undefined;
  /** the wait for health under way, which stop and cancel cancel */
  healthScope: CancellationScope | undefined;
  /** per run: with workflow and run ID it keys history rows */
  private operation = 0;
  /** search attributes last upserted, to upsert only on change */
  private lastPublished = '';
  /** a step of the current pass found the environment not registered (EnvironmentNotFound) */
  unregistered = false;
  /** whether the worker was last told a request waits in the pending slot */
  private reportedPending = false;
  /** the live status last reported to the worker */
  private reportedLive: LiveStatus | undefined;
  private readonly notifier: Notifier;

  constructor(
    readonly ref: EnvironmentRef,
    state: CarriedState,
    /** whether the DeployImage search attribute holds the image ref (EnvironmentWorkflowInput.indexImage) */
    private readonly indexImage: boolean,
  ) {
    this.state = state;
    this.notifier = new Notifier(ref);
  }

  /** Tells the environment's subscribers of `type`, without waiting (see notify.ts). */
  notify(type: NotificationEventType, occurrence: string, fields: EventFields): void {
    this.notifier.send(this.state.policy, type, occurrence, fields);
  }

  /** Once every notification started so far is on its way: before the run ends. */
  notificationsStarted(): Promise<void> {
    return this.notifier.settled();
  }

  update(changes: Partial<CarriedState>): void {
    this.state = { ...this.state, ...changes };
  }

  /** Records what became of a request in the bounded request log. */
  logRequest(entry: RequestLogUpdate): void {
    this.update(logRequest(this.state, entry));
  }

  /**
   * Search attributes (when they changed) and the UI's current details from the state now; and
   * to the worker, whether a request waits (the pending-requests gauge) and the live status (the
   * dashboard's feed). Sink calls are no commands: reporting more changes no history.
   */
  publish(): void {
    const { project, environment } = this.ref;
    const image = this.state.desired?.imageRef ?? '';
    const key = `${image}|${this.state.status}`;
    if (key !== this.lastPublished) {
      this.lastPublished = key;
      upsertSearchAttributes([
        { key: DeployProject, value: project },
        { key: DeployEnvironment, value: environment },
        { key: DeployImage, value: this.indexImage ? image : '' },
        { key: DeployStatus, value: this.state.status },
      ]);
    }
    setCurrentDetails(currentDetailsMarkdown(this.describe()));
    const waiting = this.state.pending !== undefined;
    if (waiting !== this.reportedPending) {
      this.reportedPending = waiting;
      environmentSink.pending(waiting);
    }
    const live = liveStatus(this.state, this.inFlight, Date.now());
    if (!sameLiveStatus(this.reportedLive, live)) {
      this.reportedLive = live;
      environmentSink.live(project, environment, live);
    }
  }

  describe() {
    return describeState({ ...this.ref, firstRunId: workflowInfo().firstExecutionRunId }, this.state, this.inFlight, Date.now());
  }

  /** A key for the history row of the next operation, unique across runs and replays. */
  historyKey(): string {
    const { workflowId, runId } = workflowInfo();
    this.operation += 1;
    return historyKey(workflowId, runId, this.operation);
  }

  /** Runs one step of the work in flight (every caller set it), showing it as the current step first. */
  async step<T>(name: Step, run: () => Promise<T>): Promise<T> {
    this.inFlight = { ...this.inFlight!, step: name };
    this.publish();
    try {
      return await run();
    } catch (error) {
      if (isUnregistered(errorType(error))) this.unregistered = true;
      throw error;
    }
  }

  /** Loads the environment's configuration for a pass; its policy applies from then on. */
  async load(queue: Queue = {}): Promise<EnvironmentConfig> {
    const config = await loadEnvironment(this.ref, queue);
    this.update({ policy: config.policy });
    return config;
  }

  recordHistory(row: Omit<HistoryRecord, 'project' | 'environment'>, options?: RecordOptions): Promise<void> {
    return recordHistory({ ...this.ref, ...row }, options);
  }

  /**
   * Writes the environment's current state (desired, current, status) to the record, unless a step
   * found the environment not registered: there is no row to write to, and the write would fail
   * the run instead of letting it end.
   */
  async recordState(options?: RecordOptions): Promise<void> {
    // Runs that started before this rule issued the write (and failed on it); they replay that.
    if (this.unregistered && patched('no-state-record-when-unregistered')) return;
    await recordCurrentState(this.stateRecord(this.state), options);
  }

  /** The environment's state row for `state`: desired, current and status. */
  stateRecord(state: CarriedState): CurrentStateRecord {
    const current = state.current;
    return {
      ...this.ref,
      desiredImage: state.desired?.imageRef,
      desiredStatus: state.stopped ? 'stopped' : 'running',
      currentStatus: state.status,
      currentImage: current?.imageRef,
      currentSha: current?.opsSha,
      manifestHash: current?.manifestHash,
      deployedAt: current?.finishedAt !== undefined ? new Date(current.finishedAt).toISOString() : undefined,
    };
  }

  /** The stop or cancel that interrupted the deployment in flight, if one did (a signal sets it at any await). */
  interrupted(): { by: string; reason: string } | undefined {
    return this.interruption;
  }

  /** Stop or cancel ends the deployment in flight at its wait for health; drift passes run on. */
  interrupt(meta: RequestMeta, what: 'stop' | 'cancel'): boolean {
    if (!interruptible(this.inFlight)) return false;
    this.interruption = { by: meta.requestId, reason: `${what} requested by ${meta.requestedBy}${meta.reason ? `: ${meta.reason}` : ''}` };
    this.healthScope?.cancel();
    return true;
  }
}

/** The message of a failed step: ActivityFailure wraps the activity's own failure, so show the cause. */
export function errorMessage(error: unknown): string {
  const cause = (error as { cause?: Error }).cause;
  return (cause?.message ?? (error as Error).message ?? String(error)).slice(0, 2000);
}

/** The activity's own failure (ActivityFailure wraps it), when it raised one. */
function activityFailure(error: unknown): ApplicationFailure | undefined {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/** The error type the activity raised (TemplateError, RolloutFailed, …), when it said one. */
export function errorType(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return activityFailure(error)?.type ?? undefined;
}

/**
 * The ops commit (and manifest) a failed release got to, when its activity said (applyRelease,
 * after its sync). Only the last detail counts: applyRelease appends it, and the details before it
 * are the step's own, which may echo what an ops repo author wrote.
 */
export function reachedRelease(error: unknown): ReachedRelease | undefined {
  const last = activityFailure(error)?.details?.at(-1) as ReachedRelease | null | undefined;
  return typeof last?.opsSha === 'string' ? last : undefined;
}

/** The wait for health ended because stop or cancel asked it to. */
export class CancelledByRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledByRequest';
  }
}
