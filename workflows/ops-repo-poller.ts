// The poller of one ops repository branch (all ops repo rows sharing its URL and branch): it
// fetches the branch every interval, or at once when a push webhook says so, and tells the
// environments whose files changed to reconcile, handing them the head it fetched so none of them
// fetches again. A sync (the API's, the CLI's) asks for a poll too and waits for its outcome: the
// API and the CLI never run git themselves. Its activity does the work; this loop only waits, and
// stays small by continuing as new every few polls.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
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
import {
  pollerStateQuery,
  pollNowSignal,
  syncNowUpdate,
  wantPoll,
  type OpsRepoPollerInput,
  type OpsRepoPollerState,
  type SyncNowResult,
} from './ops-repo-poller-messages.js';

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

/** A poll that failed with a user error (no such branch) fails again until someone changes the repo; the rest may pass. */
function isRetryable(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure)) return true;
  return !cause.nonRetryable && !(userErrorTypes as readonly string[]).includes(cause.type ?? '');
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
  // Polls are numbered within a run. A sync waits for the first poll numbered above the count it
  // saw on arrival, so the head it answers was fetched after it asked, never before.
  let pollsStarted = 0;
  let lastPoll: { number: number; outcome: SyncNowResult } | undefined;
  /** for each sync waiting, the polls started when it arrived */
  const syncsWaiting: number[] = [];
  const syncWaitsForNextPoll = () => syncsWaiting.some((startedBefore) => startedBefore >= pollsStarted);

  setHandler(pollNowSignal, ({ reason }) => {
    state = { ...state, wanted: wantPoll(state.wanted, reason) };
  });
  setHandler(syncNowUpdate, async ({ reason }) => {
    const startedBefore = pollsStarted;
    state = { ...state, wanted: wantPoll(state.wanted, reason) };
    syncsWaiting.push(startedBefore);
    try {
      await condition(() => (lastPoll?.number ?? 0) > startedBefore);
    } finally {
      syncsWaiting.splice(syncsWaiting.indexOf(startedBefore), 1);
    }
    return lastPoll!.outcome;
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

  for (;;) {
    const number = ++pollsStarted;
    const trigger = state.wanted.length > 0 ? state.wanted.join('; ') : undefined;
    state = { ...state, wanted: [] };
    let outcome: SyncNowResult;
    try {
      const result = await pollOpsRepo.executeWithOptions(
        // With the other background work: a slow fetch never holds up a deploy's activities.
        { taskQueue: backgroundTaskQueue(workflowInfo().taskQueue), summary: `fetch ${branch}${trigger ? ` (${trigger.slice(0, 80)})` : ''}` },
        [{ url, branch, previousSha: state.lastSha, trigger }],
      );
      if (result.retired) {
        lastPoll = { number, outcome: { ok: false, retryable: false, error: `no ops repo uses branch ${branch} of ${url} any more`, polledAt: Date.now() } };
        // A sync that arrived during this poll is owed a poll of its own: the row it names may be new.
        if (syncWaitsForNextPoll()) continue;
        log.info('no ops repo uses this branch any more; the poller ends', { url, branch });
        await condition(allHandlersFinished);
        return;
      }
      state = { ...state, lastSha: result.sha, intervalMs: result.intervalMs, lastError: undefined };
      // Workflow time is the activation's: the same instant as `now` below.
      outcome = result.sha === undefined ? { ok: false, retryable: true, error: 'the poll returned no head', polledAt: Date.now() } : { ok: true, sha: result.sha, polledAt: Date.now() };
    } catch (error) {
      const message = errorMessage(error);
      state = { ...state, lastError: message };
      outcome = { ok: false, retryable: isRetryable(error), error: message, polledAt: Date.now() };
      log.warn('polling the ops repo failed; trying again at the next poll', { url, branch, error: message });
    }
    const now = Date.now();
    state = { ...state, lastPolledAt: now, nextPollAt: now + state.intervalMs };
    lastPoll = { number, outcome };
    publish();
    await condition(() => state.wanted.length > 0, state.intervalMs, { summary: 'until the next poll or a push webhook' });
    // Not while a sync waits for a poll not run yet: the next run would not know to answer it, and
    // this one would wait for it forever in allHandlersFinished.
    if ((pollsStarted >= POLLS_PER_RUN || workflowInfo().continueAsNewSuggested) && !syncWaitsForNextPoll()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof opsRepoPollerWorkflow>({ url, branch, carried: { lastSha: state.lastSha, intervalMs: state.intervalMs, wanted: state.wanted } });
    }
  }
}
