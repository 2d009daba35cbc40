// The one release pipeline: sync the ops repo → render → apply → (resume) → wait healthy. It serves
// deploys and rollbacks (a rollback is pinned to the ops commit it ran with) and drift passes (in
// the background, applying only what drifted); each caller loads the environment before and
// records the outcome after, in its own words. A release runs load, sync, render and apply as one
// activity (applyRelease), then resumeIfStopped and waitHealthy with its own rollout activity that
// records it healthy; a drift pass runs up to its apply as one activity (checkDrift) and joins at
// awaitRollout. runPipeline, a step per activity, is what runs that started before those
// activities replay.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { ApplyResult, EnvironmentConfig, ObjectRef, RenderResult } from '../activities/types.js';
import { applyInput, renderInput, syncInput, type PassKind } from '../src/domain/release-steps.js';
import { rolloutNeeded } from './decide.js';
import { CancelledByRequest, type EnvironmentRun } from './environment-run.js';
import type { Release } from './state.js';
import { applyManifests, renderManifests, scaleWorkloads, syncOpsRepo, waitForRollout, type Queue } from './steps.js';

export type Pass =
  | { kind: Extract<PassKind, 'release'> }
  /** `knownHead`: the branch head the ops repo's poller just fetched, so the pass need not fetch again */
  | { kind: Extract<PassKind, 'drift'>; knownHead?: string; queue: Queue };

/** What sync, render and apply produced. */
export interface Applied {
  sha: string;
  rendered: RenderResult;
  applied: ApplyResult;
}

export interface PipelineResult extends Applied {
  /** whether it waited for the rollout (a drift pass that changed nothing does not) */
  rolledOut: boolean;
}

/**
 * Runs `release` through the pipeline, one activity a step: releases of runs that started before a
 * release applied in one activity, and drift passes of runs from before checkDrift. `progress`
 * hears the ops commit once synced and the manifest once rendered, so a release that fails later
 * still records what it got to.
 */
export async function runPipeline(
  run: EnvironmentRun,
  config: EnvironmentConfig,
  release: Release,
  pass: Pass,
  progress: (changes: Pick<Partial<Release>, 'opsSha' | 'manifestHash'>) => void = () => {},
): Promise<PipelineResult> {
  const drift = pass.kind === 'drift';
  const queue = drift ? pass.queue : {};
  const { sha } = await run.step('sync', () =>
    syncOpsRepo(
      drift ? `drift: sync ${config.opsRepo.url}` : `sync ${config.opsRepo.url}@${release.pinned ? release.opsSha?.slice(0, 8) : config.opsRepo.branch}`,
      syncInput(config, release, drift ? pass.knownHead : undefined),
      queue,
    ),
  );
  progress({ opsSha: sha });
  const rendered = await run.step('render', () =>
    renderManifests(drift ? `drift: render ${config.manifestPath}` : `render ${config.manifestPath} for ${release.imageRef}`, renderInput(config, release, sha), queue),
  );
  progress({ manifestHash: rendered.manifestHash });
  const applied = await run.step('apply', () =>
    applyManifests(`${drift ? 'drift: re-apply' : 'apply'} ${rendered.objects.length} objects to ns ${config.namespace}`, applyInput(pass.kind, config, rendered.manifestHash), queue),
  );
  await resumeIfStopped(run, config, queue);
  return awaitRollout(run, config, release, pass, { sha, rendered, applied });
}

/** After the apply: a stopped environment's workloads are scaled back up (the release ends the stop). */
export async function resumeIfStopped(run: EnvironmentRun, config: EnvironmentConfig, queue: Queue): Promise<void> {
  if (run.state.stopped) {
    const { project, environment } = run.ref;
    await run.step('scale', () =>
      scaleWorkloads(`resume workloads in ns ${config.namespace}`, { project, environment, namespace: config.namespace, action: 'resume', impersonate: config.impersonate }, queue),
    );
    run.update({ stopped: false });
  }
}

/** The pipeline's end: a release always waits for its rollout, a drift pass only when it changed something. */
export async function awaitRollout(run: EnvironmentRun, config: EnvironmentConfig, release: Release, pass: Pass, done: Applied): Promise<PipelineResult> {
  const rolledOut = rolloutNeeded(pass.kind, done.applied, done.sha, release);
  const queue = pass.kind === 'drift' ? pass.queue : {};
  if (rolledOut) await run.step('health', () => waitHealthy(run, (scope) => waitForRollout(scope, config, done.rendered.objects, queue)));
  return { ...done, rolledOut };
}

/** Waits for the rollout (`wait`, in a scope), ending early (as a cancellation) when stop or cancel interrupts it. */
export async function waitHealthy<T>(run: EnvironmentRun, wait: (scope: CancellationScope) => Promise<T>): Promise<T> {
  const before = run.interrupted();
  if (before) throw new CancelledByRequest(before.reason);
  const scope = new CancellationScope();
  run.healthScope = scope;
  try {
    return await wait(scope);
  } catch (error) {
    const why = run.interrupted(); // set by a signal handler while we awaited
    if (why && isCancellation(error)) throw new CancelledByRequest(why.reason);
    throw error;
  } finally {
    run.healthScope = undefined;
  }
}
