// A release's first steps in one activity: load the environment, write the release's in-progress
// history row, sync the ops repo and render. One activity instead of three (and a local one) is
// two fewer trips through Temporal per deploy: the apply starts sooner, and a fleet's cold start
// asks less of Temporal. It runs the same step activities a drift pass and older runs call, so
// every path does exactly the same work.
import { ApplicationFailure } from '@temporalio/common';
import { DeployerError } from '../src/domain/errors.js';
import { renderInput, syncInput, type ReleaseSource } from '../src/domain/release-steps.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import { runStep } from './step.js';
import type { DeployerActivities, EnvironmentConfig, HistoryRecord, RenderResult } from './types.js';

export interface PrepareReleaseInput {
  ref: EnvironmentRef;
  release: ReleaseSource;
  /** the release's history row as it starts (status in-progress), written once the environment is found */
  started: HistoryRecord;
}

export interface PrepareReleaseResult {
  config: EnvironmentConfig;
  sha: string;
  rendered: RenderResult;
}

/** What a failure after the sync carries in its details, so the release records the commit it got to. */
export interface ReachedCommit {
  opsSha: string;
}

type Steps = Pick<DeployerActivities, 'loadEnvironment' | 'recordHistory' | 'syncOpsRepo' | 'renderManifests'>;

export function createPrepareReleaseActivities(steps: Steps): { prepareRelease(input: PrepareReleaseInput): Promise<PrepareReleaseResult> } {
  return {
    async prepareRelease({ ref, release, started }: PrepareReleaseInput): Promise<PrepareReleaseResult> {
      const config = await steps.loadEnvironment(ref);
      // After the load: an environment that is not registered gets no in-progress row. The row
      // and the sync need nothing of each other, so they run side by side.
      const [, { sha }] = await Promise.all([runStep(() => steps.recordHistory(started)), steps.syncOpsRepo(syncInput(config, release))]);
      try {
        const rendered = await steps.renderManifests(renderInput(config, release, sha));
        return { config, sha, rendered };
      } catch (error) {
        throw withReachedCommit(error, { opsSha: sha });
      }
    },
  };
}

/** The same failure with the commit it reached added to its details; anything else unchanged. */
function withReachedCommit(error: unknown, reached: ReachedCommit): unknown {
  if (error instanceof DeployerError) return new DeployerError(error.type, error.message, error.retryable, [...(error.details ?? []), reached]);
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({ message: error.message, type: error.type ?? undefined, nonRetryable: error.nonRetryable ?? undefined, details: [...(error.details ?? []), reached], cause: error.cause });
  }
  return error;
}
