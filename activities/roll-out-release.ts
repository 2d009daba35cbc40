// A release's wait for its rollout, and once the rollout is done, its final history row and the
// environment's state written in the same activity: the workflow learns the release is healthy
// with its record already written, instead of writing it in one more workflow task. The writes are
// tried once: if Postgres does not take them, the activity still succeeds (the rollout is done) and
// says so, and the workflow writes them as local activities, which wait out any outage. The row is
// closed only if it is still in progress, so an attempt outliving its run writes nothing.
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

type Steps = Pick<DeployerActivities, 'waitForRollout' | 'recordCurrentState'> & {
  /** writes the release's final row if it is still in progress; true when it did */
  finishHistory(row: HistoryRecord): Promise<boolean>;
};

export function createRollOutReleaseActivities(steps: Steps): { rollOutRelease(input: RollOutReleaseInput): Promise<RollOutReleaseResult> } {
  return {
    async rollOutRelease({ healthy, ...wait }: RollOutReleaseInput): Promise<RollOutReleaseResult> {
      const result = await steps.waitForRollout(wait);
      const finishedAt = new Date().toISOString();
      // The state follows only a row this attempt closed: an attempt that outlived its run (whose
      // row the next run closed) must not write an environment state that run did not decide.
      let recorded = false;
      try {
        if (await steps.finishHistory({ ...healthy.history, finishedAt })) {
          await steps.recordCurrentState({ ...healthy.state, deployedAt: finishedAt });
          recorded = true;
        }
      } catch {
        recorded = false; // the workflow writes both then
      }
      return { ...result, finishedAt, recorded };
    },
  };
}
