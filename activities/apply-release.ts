// A release up to its rollout in one activity: load the environment, write the release's
// in-progress history row, sync the ops repo, render and apply. One activity instead of four (and a
// local one) is three fewer trips through Temporal per deploy: the apply starts sooner, the wait
// for the rollout follows it at once, and a fleet's cold start asks less of Temporal. It runs the
// same step activities a drift pass and older runs call, so every path does exactly the same work.
// What the apply changed, field by field, goes onto the release's history row from here: the
// workflow gets the change set without the diffs, so its payloads stay small.
import { ApplicationFailure } from '@temporalio/common';
import { DeployerError } from '../src/domain/errors.js';
import { releaseChanges, type ReleaseChanges } from '../src/domain/release-changes.js';
import { applyInput, renderInput, syncInput, type ReleaseSource } from '../src/domain/release-steps.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import { runStep } from './step.js';
import type { ApplyResult, DeployerActivities, EnvironmentConfig, HistoryRecord, RenderResult } from './types.js';

export interface ApplyReleaseInput {
  ref: EnvironmentRef;
  release: ReleaseSource;
  /** the release's history row as it starts (status in-progress), written once the environment is found */
  started: HistoryRecord;
}

export interface ApplyReleaseResult {
  config: EnvironmentConfig;
  sha: string;
  rendered: RenderResult;
  applied: ApplyResult;
}

/** What a failure after the sync carries in its details, so the release records what it got to. */
export interface ReachedRelease {
  opsSha: string;
  /** once rendered */
  manifestHash?: string;
}

type Steps = Pick<DeployerActivities, 'loadEnvironment' | 'recordHistory' | 'syncOpsRepo' | 'renderManifests' | 'applyManifests'> & {
  /** writes what the release's apply did onto its history row (src/db/release-changes.ts) */
  recordReleaseChanges(idempotencyKey: string, changes: ReleaseChanges): Promise<void>;
};

export function createApplyReleaseActivities(steps: Steps): { applyRelease(input: ApplyReleaseInput): Promise<ApplyReleaseResult> } {
  return {
    async applyRelease({ ref, release, started }: ApplyReleaseInput): Promise<ApplyReleaseResult> {
      const config = await steps.loadEnvironment(ref);
      // After the load: an environment that is not registered gets no in-progress row. The row
      // and the sync need nothing of each other, so they run side by side.
      const [, { sha }] = await Promise.all([runStep(() => steps.recordHistory(started)), steps.syncOpsRepo(syncInput(config, release))]);
      const rendered = await reaching({ opsSha: sha }, () => steps.renderManifests(renderInput(config, release, sha)));
      const applied = await reaching({ opsSha: sha, manifestHash: rendered.manifestHash }, async () => {
        const { changes, changed } = await steps.applyManifests({ ...applyInput('release', config, rendered.manifestHash), withDiff: true });
        await runStep(() => steps.recordReleaseChanges(started.idempotencyKey, releaseChanges(changes)));
        return { changes: changes.map(({ ref, action }) => ({ ref, action })), changed };
      });
      return { config, sha, rendered, applied };
    },
  };
}

/** Runs `step`; its failure carries `reached` in its details besides its own. */
async function reaching<T>(reached: ReachedRelease, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw withReached(error, reached);
  }
}

/** The same failure with what the release reached added to its details; anything else unchanged. */
function withReached(error: unknown, reached: ReachedRelease): unknown {
  if (error instanceof DeployerError) return new DeployerError(error.type, error.message, error.retryable, [...(error.details ?? []), reached]);
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.type ?? undefined,
      nonRetryable: error.nonRetryable ?? undefined,
      details: [...(error.details ?? []), reached],
      cause: error.cause,
    });
  }
  return error;
}
