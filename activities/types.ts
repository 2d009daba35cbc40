// The contract between the environment workflow and its activities. Everything here crosses the
// Temporal boundary as a payload, so it stays small: hashes and references, never manifests.
import type { RecordedState, RecordedStateQuery } from '../src/domain/recorded-state.js';
import type { WatchManagedObjectsInput, WatchManagedObjectsResult } from './cluster-watch.js';
import type { ApplyReleaseInput, ApplyReleaseResult } from './apply-release.js';
import type { RollOutReleaseInput, RollOutReleaseResult } from './roll-out-release.js';
import type { ApprovalPreview, ReleasePreview, ReleasePreviewRequest } from '../src/domain/release-preview.js';
import type { RequestApprovalInput } from './request-approval.js';
import type { DeliverNotificationInput, DeliverNotificationResult, NotificationSubscribersInput, NotificationSubscribersResult } from './notify.js';
import type { Impersonation } from '../src/domain/tenancy.js';
import type { ApplyInput, EnvironmentConfig, ReleaseSource, RenderInput, SyncOpsRepoInput } from '../src/domain/release-steps.js';
import type { ApprovalRecord, ChangeAction, EnvironmentRef, FieldChange, ObjectRef, RolloutProgress } from '../src/domain/vocabulary.js';

export type { Impersonation } from '../src/domain/tenancy.js';
export { defaultPolicy } from '../src/domain/vocabulary.js';
export type { ApprovalRecord, ChangeAction, EnvironmentPolicy, EnvironmentRef, FieldChange, ObjectRef, OpsRepoSource, RolloutProgress } from '../src/domain/vocabulary.js';

export type { ApplyInput, EnvironmentConfig, RenderInput, SyncOpsRepoInput } from '../src/domain/release-steps.js';
export type { ApplyReleaseInput, ApplyReleaseResult, ReachedRelease } from './apply-release.js';
export type { RollOutReleaseInput, RollOutReleaseResult } from './roll-out-release.js';
export type { RequestApprovalInput } from './request-approval.js';
export type { DeliverNotificationInput, DeliverNotificationResult, NotificationSubscribersInput, NotificationSubscribersResult } from './notify.js';
export type { NotificationEvent, NotificationEventType } from '../src/domain/notifications.js';

export interface SyncOpsRepoResult {
  sha: string;
}

export interface RenderResult {
  manifestHash: string;
  objects: ObjectRef[];
}

export interface ChangeSetEntry {
  ref: ObjectRef;
  action: ChangeAction;
  /**
   * the fields the environment manages that the apply changed (a dry run: would change), bounded,
   * Secret values hidden; only for a dry run or an apply that asked (`withDiff`)
   */
  diff?: FieldChange[];
}
export interface ApplyResult {
  changes: ChangeSetEntry[];
  /** true when any object was created, configured or pruned */
  changed: boolean;
}

export interface WaitForRolloutInput {
  namespace: string;
  objects: ObjectRef[];
  timeoutMs: number;
  impersonate?: Impersonation;
}
export interface WaitForRolloutResult {
  workloads: RolloutProgress[];
}

export interface ScaleInput {
  project: string;
  environment: string;
  namespace: string;
  action: 'stop' | 'resume';
  impersonate?: Impersonation;
}
export interface ScaleResult {
  scaled: Array<{ ref: ObjectRef; from: number; to: number }>;
}

/** A drift pass in one activity: keep a stopped environment at zero, or re-apply `release`. */
export interface CheckDriftInput {
  ref: EnvironmentRef;
  plan: { type: 'keep-stopped' } | { type: 'reapply'; release: ReleaseSource; knownHead?: string };
}
export type CheckDriftResult =
  | { type: 'keep-stopped'; config: EnvironmentConfig; scaled: ScaleResult['scaled'] }
  | { type: 'reapply'; config: EnvironmentConfig; sha: string; rendered: RenderResult; applied: ApplyResult };

export type HistoryAction = 'deploy' | 'rollback' | 'stop' | 'drift' | 'cancel' | 'auto-rollback';
export type HistoryStatus = 'in-progress' | 'healthy' | 'failed' | 'cancelled' | 'stopped' | 'unchanged' | 'corrected' | 'awaiting-approval' | 'approved';

/** One history row, written at start and again at the end under the same idempotency key. */
export interface HistoryRecord {
  idempotencyKey: string;
  project: string;
  environment: string;
  action: HistoryAction;
  status: HistoryStatus;
  imageRef?: string;
  sha?: string;
  manifestHash?: string;
  valuesOverride?: Record<string, unknown>;
  error?: string;
  errorType?: string;
  requestId?: string;
  requestedBy?: string;
  reason?: string;
  startedAt: string;
  finishedAt?: string;
  /** the decision on a request that waited for approval; a later write without one keeps it */
  approval?: ApprovalRecord;
}

export interface CurrentStateRecord {
  project: string;
  environment: string;
  desiredImage?: string;
  desiredStatus: 'running' | 'stopped';
  currentStatus: string;
  currentImage?: string;
  currentSha?: string;
  manifestHash?: string;
  deployedAt?: string;
}

/** Error types the activities raise as non-retryable failures; the workflow and API show them. */
export const userErrorTypes = [
  'InvalidOpsRepo',
  'InvalidPath',
  'TemplateError',
  'TemplateForbidden',
  'TemplateTimeout',
  'TemplateTooLarge',
  'TemplateMemory',
  'ValuesInvalid',
  'InvalidManifest',
  'ManifestTooLarge',
  'UnknownKind',
  'FieldConflict',
  'PolicyViolation',
  'ObjectNotOwned',
  'Forbidden',
  'RolloutFailed',
  'RolloutTimeout',
  'KubernetesUnavailable',
  'PostgresUnavailable',
  'GitUnavailable',
  'EnvironmentNotFound',
  'InvalidAnnotation',
] as const;
export type UserErrorType = (typeof userErrorTypes)[number];

export interface PollOpsRepoInput {
  url: string;
  branch: string;
  /** the head the previous poll saw; absent on a poller's first poll, which compares with the rows' last_sha */
  previousSha?: string;
  /** why this poll runs now, when something asked for it ("github push by alice"); for the record */
  trigger?: string;
}
export interface PollOpsRepoResult {
  /** no ops repo row names this URL and branch any more: the poller ends */
  retired: boolean;
  /** the branch head fetched (absent when retired) */
  sha?: string;
  /** when to poll again: the smallest sync_interval_s of the rows sharing the branch */
  intervalMs: number;
  /** environments told to reconcile, and those skipped because their workflow is not running */
  signalled: number;
  notRunning: number;
}

/** The activity of an ops repository's poller workflow. */
export interface OpsRepoPollerActivities {
  pollOpsRepo(input: PollOpsRepoInput): Promise<PollOpsRepoResult>;
}

/** Every activity the workflow calls, by name. Implementations live one stage per file. */
export interface DeployerActivities {
  loadEnvironment(ref: EnvironmentRef): Promise<EnvironmentConfig>;
  syncOpsRepo(input: SyncOpsRepoInput): Promise<SyncOpsRepoResult>;
  renderManifests(input: RenderInput): Promise<RenderResult>;
  applyManifests(input: ApplyInput): Promise<ApplyResult>;
  waitForRollout(input: WaitForRolloutInput): Promise<WaitForRolloutResult>;
  scaleWorkloads(input: ScaleInput): Promise<ScaleResult>;
  checkDrift(input: CheckDriftInput): Promise<CheckDriftResult>;
  applyRelease(input: ApplyReleaseInput): Promise<ApplyReleaseResult>;
  rollOutRelease(input: RollOutReleaseInput): Promise<RollOutReleaseResult>;
  previewRelease(request: ReleasePreviewRequest): Promise<ReleasePreview>;
  /** a gated request's preview, written with its awaiting-approval history row; answers the counts only */
  requestApproval(input: RequestApprovalInput): Promise<ApprovalPreview>;
  recordHistory(record: HistoryRecord): Promise<void>;
  recordCurrentState(record: CurrentStateRecord): Promise<void>;
  loadRecordedState(query: RecordedStateQuery): Promise<RecordedState>;
  /** the subscriptions that hear an event of the environment: one deliverNotification each */
  listNotificationSubscribers(input: NotificationSubscribersInput): Promise<NotificationSubscribersResult>;
  /**
   * one event to one subscriber, signed, recorded in the delivery log; retryable while the receiver
   * is down (use NOTIFICATION_DELIVERY's retry policy), never part of a deployment's outcome
   */
  deliverNotification(input: DeliverNotificationInput): Promise<DeliverNotificationResult>;
}

/** The cluster watcher's one activity (workflows/cluster-watcher.ts). */
export interface ClusterWatchActivities {
  watchManagedObjects(input: WatchManagedObjectsInput): Promise<WatchManagedObjectsResult>;
}
