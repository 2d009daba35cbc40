// A release's wait for its rollout, and once the rollout is done, its final history row and the
// environment's state written in the same activity: the workflow learns the release is healthy
// with its record already written, instead of writing it in one more workflow task. The writes are
// tried once: if Postgres does not take them, the activity still succeeds (the rollout is done) and
// says so, and the workflow writes them as local activities, which wait out any outage.
import type { CurrentStateRecord, DeployerActivities, HistoryRecord, WaitForRolloutInput, WaitForRolloutResult } from './types.js';

export interface RollOutReleaseInput extends WaitForRolloutInput {
  /** what to write once healthy; both take the time the rollout was seen done */
  healthy: { history: Omit<HistoryRecord, 'finishedAt'>; state: Omit<CurrentStateRecord, 'deployedAt'> };
}

export interface RollOutReleaseResult extends WaitForRolloutResult {
  /** when the rollout was seen done (ISO 8601) */
  finishedAt: string;
  /** whether the history row and the state were written */
  recorded: boolean;
}

type Steps = Pick<DeployerActivities, 'waitForRollout' | 'recordHistory' | 'recordCurrentState'>;

export function createRollOutReleaseActivities(steps: Steps): { rollOutRelease(input: RollOutReleaseInput): Promise<RollOutReleaseResult> } {
  return {
    async rollOutRelease({ healthy, ...wait }: RollOutReleaseInput): Promise<RollOutReleaseResult> {
      const result = await steps.waitForRollout(wait);
      const finishedAt = new Date().toISOString();
      const recorded = await Promise.all([steps.recordHistory({ ...healthy.history, finishedAt }), steps.recordCurrentState({ ...healthy.state, deployedAt: finishedAt })]).then(
        () => true,
        () => false,
      );
      return { ...result, finishedAt, recorded };
    },
  };
}
