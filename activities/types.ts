// The contract between the environment workflow and its activities. Everything here crosses the
// Temporal boundary as a payload, so it stays small: hashes and references, never manifests.
import type { RecordedState, RecordedStateQuery } from '../src/domain/recorded-state.js';
import type { WatchManagedObjectsInput, WatchManagedObjectsResult } from './cluster-watch.js';
import type { Impersonation } from '../src/domain/tenancy.js';
import type { ChangeAction, EnvironmentPolicy, EnvironmentRef, ObjectRef, OpsRepoSource, RolloutProgress } from '../src/domain/vocabulary.js';

export type { Impersonation } from '../src/domain/tenancy.js';
export { defaultPolicy } from '../src/domain/vocabulary.js';
export type { ChangeAction, EnvironmentPolicy, EnvironmentRef, ObjectRef, OpsRepoSource, RolloutProgress } from '../src/domain/vocabulary.js';

/** What the activities need to know about an environment; loaded from Postgres per deployment. */
export interface EnvironmentConfig {
  project: string;
  environment: string;
  namespace: string;
  opsRepo: OpsRepoSource;
  /** file of the template, relative to opsRepo.path */
  manifestPath: string;
  valuesOverride: Record<string, unknown>;
  policy: EnvironmentPolicy;
  /** the service account the environment's Kubernetes calls act as, when it has one */
  impersonate?: Impersonation;
}

export interface SyncOpsRepoInput {
  opsRepo: OpsRepoSource;
  /** check out exactly this commit (a rollback or a retry); otherwise the branch head */
  pinSha?: string;
  /** the branch head the ops repo's poller just fetched: used instead of fetching again */
  knownHead?: string;
}
export interface SyncOpsRepoResult {
  sha: string;
}

export interface RenderInput {
  opsRepo: OpsRepoSource;
  sha: string;
  manifestPath: string;
  project: string;
  environment: string;
  namespace: string;
  imageRef: string;
  /** deep-merged in order over the repo's values.yaml: the environment's override, then the release's */
  valuesOverrides: Array<Record<string, unknown>>;
}
export interface RenderResult {
  manifestHash: string;
  objects: ObjectRef[];
}

export interface ApplyInput {
  project: string;
  environment: string;
  namespace: string;
  manifestHash: string;
  /** take fields from managers outside the deployer when they conflict; never from another environment */
  forceConflicts: boolean;
  omitReplicas: boolean;
  dryRun?: boolean;
  /**
   * a drift pass: when the objects are the ones the last apply applied, apply only those someone
   * changed or deleted since (none: no write at all); otherwise apply everything
   */
  onlyDrifted?: boolean;
  impersonate?: Impersonation;
}
export interface ChangeSetEntry {
  ref: ObjectRef;
  action: ChangeAction;
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

export type HistoryAction = 'deploy' | 'rollback' | 'stop' | 'drift' | 'cancel' | 'auto-rollback';
export type HistoryStatus = 'in-progress' | 'healthy' | 'failed' | 'cancelled' | 'stopped' | 'unchanged' | 'corrected';

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
  recordHistory(record: HistoryRecord): Promise<void>;
  recordCurrentState(record: CurrentStateRecord): Promise<void>;
  loadRecordedState(query: RecordedStateQuery): Promise<RecordedState>;
}

/** The cluster watcher's one activity (workflows/cluster-watcher.ts). */
export interface ClusterWatchActivities {
  watchManagedObjects(input: WatchManagedObjectsInput): Promise<WatchManagedObjectsResult>;
}
