// The poller of one ops repository branch (all ops repo rows sharing its URL and branch): it
// fetches the branch every interval, or at once when a push webhook says so, and tells the
// environments whose files changed to reconcile, handing them the head it fetched so none of them
// fetches again. Its activity does the work; this loop only waits, and stays small by continuing
// as new every few polls.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { userErrorTypes, type OpsRepoPollerActivities } from '../activities/types.js';
import { DEFAULT_POLL_INTERVAL_MS, POLLS_PER_RUN } from '../src/domain/ops-repo-poller.js';
import { backgroundTaskQueue } from './messages.js';
import { pollerStateQuery, pollNowSignal, wantPoll, type OpsRepoPollerInput, type OpsRepoPollerState } from './ops-repo-poller-messages.js';

// A poll that fails (the remote is down, the branch is gone) is tried a few times, then the poller
// waits for its next turn: the next poll is the retry, and the poller itself never fails.
const { pollOpsRepo } = proxyActivities<OpsRepoPollerActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3, nonRetryableErrorTypes: [...userErrorTypes] },
});

function errorMessage(error: unknown): string {
  const cause = (error as { cause?: Error }).cause;
  return (cause?.message ?? (error as Error).message ?? String(error)).slice(0, 1000);
}

export async function opsRepoPollerWorkflow(input: OpsRepoPollerInput): Promise<void> {
  const { url, branch } = input;
  let state: OpsRepoPollerState = {
    url,
    branch,
    lastSha: input.carried?.lastSha,
    intervalMs: input.carried?.intervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    wanted: input.carried?.wanted ?? [],
  };
  setHandler(pollNowSignal, ({ reason }) => {
    state = { ...state, wanted: wantPoll(state.wanted, reason) };
  });
  setHandler(pollerStateQuery, () => state);

  function publish(): void {
    const at = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString());
    setCurrentDetails(
      [
        `**${branch}** of \`${url}\``,
        `head: ${state.lastSha ?? 'not fetched yet'}`,
        `last poll: ${at(state.lastPolledAt)}${state.lastError ? ` — failed: ${state.lastError}` : ''}`,
        `next poll: ${at(state.nextPollAt)} (every ${Math.round(state.intervalMs / 1000)} s, or at once on a push webhook)`,
      ].join('\n\n'),
    );
  }

  for (let polls = 1; ; polls++) {
    const trigger = state.wanted.length > 0 ? state.wanted.join('; ') : undefined;
    state = { ...state, wanted: [] };
    try {
      const result = await pollOpsRepo.executeWithOptions(
        // With the other background work: a slow fetch never holds up a deploy's activities.
        { taskQueue: backgroundTaskQueue(workflowInfo().taskQueue), summary: `fetch ${branch}${trigger ? ` (${trigger.slice(0, 80)})` : ''}` },
        [{ url, branch, previousSha: state.lastSha, trigger }],
      );
      if (result.retired) {
        log.info('no ops repo uses this branch any more; the poller ends', { url, branch });
        return;
      }
      state = { ...state, lastSha: result.sha, intervalMs: result.intervalMs, lastError: undefined };
    } catch (error) {
      state = { ...state, lastError: errorMessage(error) };
      log.warn('polling the ops repo failed; trying again at the next poll', { url, branch, error: state.lastError });
    }
    const now = Date.now();
    state = { ...state, lastPolledAt: now, nextPollAt: now + state.intervalMs };
    publish();
    await condition(() => state.wanted.length > 0, state.intervalMs, { summary: 'until the next poll or a push webhook' });
    if (polls >= POLLS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof opsRepoPollerWorkflow>({ url, branch, carried: { lastSha: state.lastSha, intervalMs: state.intervalMs, wanted: state.wanted } });
    }
  }
}
