// What each step of a release is given, made from the environment's configuration and the release:
// the same whether the steps run as separate activities of the workflow (a deploy, a rollback) or
// inside one activity (a drift pass). Plain data and pure functions.
import type { Impersonation } from './tenancy.js';
import type { EnvironmentPolicy, OpsRepoSource } from './vocabulary.js';

/** What the steps need to know about an environment; loaded from Postgres per deployment and drift pass. */
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

/** What of a release decides what is rendered. */
export interface ReleaseSource {
  imageRef: string;
  /** the ops repo commit it was rendered from */
  opsSha?: string;
  valuesOverride?: Record<string, unknown>;
  /** a pinned release always renders from opsSha (rollbacks); others follow the branch */
  pinned: boolean;
}

export interface SyncOpsRepoInput {
  opsRepo: OpsRepoSource;
  /** check out exactly this commit (a rollback or a retry); otherwise the branch head */
  pinSha?: string;
  /** the branch head the ops repo's poller just fetched: used instead of fetching again */
  knownHead?: string;
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
   * return the field changes of the objects a real apply creates or configures (a dry run always
   * does): for the activity that records them on the release's history row. The workflow never
   * asks: its payloads stay small.
   */
  withDiff?: boolean;
  /**
   * a drift pass: when the objects are the ones the last apply applied, apply only those someone
   * changed or deleted since (none: no write at all); otherwise apply everything
   */
  onlyDrifted?: boolean;
  impersonate?: Impersonation;
}

/** A release runs for a request; a drift pass re-applies the desired release in the background. */
export type PassKind = 'release' | 'drift';

/** The commit to render: a pinned release's own, else the branch head (`knownHead` when the poller just fetched it). */
export function syncInput(config: Pick<EnvironmentConfig, 'opsRepo'>, release: Pick<ReleaseSource, 'opsSha' | 'pinned'>, knownHead?: string): SyncOpsRepoInput {
  return { opsRepo: config.opsRepo, pinSha: release.pinned ? release.opsSha : undefined, knownHead: release.pinned ? undefined : knownHead };
}

/** What to render for `release` at ops commit `sha`: the environment's values, then the release's. */
export function renderInput(config: EnvironmentConfig, release: ReleaseSource, sha: string): RenderInput {
  return {
    opsRepo: config.opsRepo,
    sha,
    manifestPath: config.manifestPath,
    project: config.project,
    environment: config.environment,
    namespace: config.namespace,
    imageRef: release.imageRef,
    valuesOverrides: [config.valuesOverride, release.valuesOverride ?? {}],
  };
}

/**
 * How a pass applies. A release takes fields from managers outside the deployer only when the
 * policy says so; undoing hand edits is a drift pass's job, so it always takes back fields kubectl
 * or a controller took (never another environment's), and applies only what someone changed since
 * the last apply (nothing, when nothing changed: the safety-net pass is a read per object).
 */
export function applyMode(pass: PassKind, policy: Pick<EnvironmentPolicy, 'forceConflicts' | 'hasAutoscaler'>): Pick<ApplyInput, 'forceConflicts' | 'omitReplicas' | 'onlyDrifted'> {
  return pass === 'release'
    ? { forceConflicts: policy.forceConflicts, omitReplicas: policy.hasAutoscaler }
    : { forceConflicts: true, omitReplicas: policy.hasAutoscaler, onlyDrifted: true };
}

export function applyInput(pass: PassKind, config: EnvironmentConfig, manifestHash: string): ApplyInput {
  return {
    project: config.project,
    environment: config.environment,
    namespace: config.namespace,
    manifestHash,
    ...applyMode(pass, config.policy),
    impersonate: config.impersonate,
  };
}
