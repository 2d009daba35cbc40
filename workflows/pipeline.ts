// The one release pipeline: sync the ops repo → render → apply → (resume) → wait healthy. It serves
// deploys and rollbacks (a rollback is pinned to the ops commit it ran with) and drift passes (in
// the background, applying only what drifted); each caller loads the environment before and
// records the outcome after, in its own words.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { ApplyResult, EnvironmentConfig, ObjectRef, RenderInput, RenderResult } from '../activities/types.js';
import { applyMode, rolloutNeeded, type PassKind } from './decide.js';
import { CancelledByRequest, type EnvironmentRun } from './environment-run.js';
import type { Release } from './state.js';
import { applyManifests, renderManifests, scaleWorkloads, syncOpsRepo, waitForRollout, type Queue } from './steps.js';

export type Pass =
  | { kind: Extract<PassKind, 'release'> }
  /** `knownHead`: the branch head the ops repo's poller just fetched, so the pass need not fetch again */
  | { kind: Extract<PassKind, 'drift'>; knownHead?: string; queue: Queue };

export interface PipelineResult {
  sha: string;
  rendered: RenderResult;
  applied: ApplyResult;
  /** whether it waited for the rollout (a drift pass that changed nothing does not) */
  rolledOut: boolean;
}

/**
 * Runs `release` through the pipeline. `progress` hears the ops commit once synced and the
 * manifest once rendered, so a release that fails later still records what it got to.
 */
export async function runPipeline(
  run: EnvironmentRun,
  config: EnvironmentConfig,
  release: Release,
  pass: Pass,
  progress: (changes: Pick<Partial<Release>, 'opsSha' | 'manifestHash'>) => void = () => {},
): Promise<PipelineResult> {
  const { project, environment } = run.ref;
  const drift = pass.kind === 'drift';
  const queue = drift ? pass.queue : {};
  const pinned = release.pinned ? release.opsSha : undefined;
  const { sha } = await run.step('sync', () =>
    syncOpsRepo(
      drift ? `drift: sync ${config.opsRepo.url}` : `sync ${config.opsRepo.url}@${pinned ? pinned.slice(0, 8) : config.opsRepo.branch}`,
      { opsRepo: config.opsRepo, pinSha: pinned, knownHead: drift && !release.pinned ? pass.knownHead : undefined },
      queue,
    ),
  );
  progress({ opsSha: sha });
  const rendered = await run.step('render', () =>
    renderManifests(drift ? `drift: render ${config.manifestPath}` : `render ${config.manifestPath} for ${release.imageRef}`, renderInput(run, config, release, sha), queue),
  );
  progress({ manifestHash: rendered.manifestHash });
  const applied = await run.step('apply', () =>
    applyManifests(
      `${drift ? 'drift: re-apply' : 'apply'} ${rendered.objects.length} objects to ns ${config.namespace}`,
      { project, environment, namespace: config.namespace, manifestHash: rendered.manifestHash, ...applyMode(pass.kind, config.policy), impersonate: config.impersonate },
      queue,
    ),
  );
  if (run.state.stopped) {
    await run.step('scale', () =>
      scaleWorkloads(`resume workloads in ns ${config.namespace}`, { project, environment, namespace: config.namespace, action: 'resume', impersonate: config.impersonate }, queue),
    );
    run.update({ stopped: false });
  }
  const rolledOut = rolloutNeeded(pass.kind, applied, sha, release);
  if (rolledOut) await run.step('health', () => waitHealthy(run, config, rendered.objects, queue));
  return { sha, rendered, applied, rolledOut };
}

/** What to render for `release` at ops commit `sha`: the environment's values, then the release's. */
function renderInput(run: EnvironmentRun, config: EnvironmentConfig, release: Release, sha: string): RenderInput {
  return {
    opsRepo: config.opsRepo,
    sha,
    manifestPath: config.manifestPath,
    ...run.ref,
    namespace: config.namespace,
    imageRef: release.imageRef,
    valuesOverrides: [config.valuesOverride, release.valuesOverride ?? {}],
  };
}

/** Waits for the rollout, ending early (as a cancellation) when stop or cancel interrupts it. */
async function waitHealthy(run: EnvironmentRun, config: EnvironmentConfig, objects: ObjectRef[], queue: Queue): Promise<void> {
  const before = run.interrupted();
  if (before) throw new CancelledByRequest(before.reason);
  const scope = new CancellationScope();
  run.healthScope = scope;
  try {
    await waitForRollout(scope, config, objects, queue);
  } catch (error) {
    const why = run.interrupted(); // set by a signal handler while we awaited
    if (why && isCancellation(error)) throw new CancelledByRequest(why.reason);
    throw error;
  } finally {
    run.healthScope = undefined;
  }
}
