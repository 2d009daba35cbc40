// One poll of an ops repository branch, for its poller workflow: fetch the branch once, find which
// ops repo rows sharing it had files change under their path, tell each running environment of
// those rows to reconcile at the new head, then record the head on every row (deployments reuse
// it while it is fresh instead of fetching again).
import { resolveBranchHead, type RepoCache } from '../src/git/checkout.js';
import { changedFiles } from '../src/git/changed-files.js';
import { validateOpsRepoSource } from '../src/git/validate.js';
import { loadBranchRows, recordBranchHead } from '../src/db/ops-repo-branches.js';
import { changedSince, describeBranchMove, environmentsAffected } from '../src/domain/ops-repo-changes.js';
import { DEFAULT_POLL_INTERVAL_MS, pollIntervalMs } from '../src/domain/ops-repo-poller.js';
import type { ActivityDeps } from './index.js';
import { whileHeartbeating } from './keep-alive.js';
import type { PollOpsRepoInput, PollOpsRepoResult } from './types.js';

// Signals go out a few at a time: a branch many environments share should not wait on each in turn.
const SIGNALS_AT_ONCE = 16;

export function createOpsRepoPollActivities(deps: Pick<ActivityDeps, 'pool' | 'repoCacheDir' | 'allowFileUrls' | 'signalReconcile'> & RepoCache) {
  return {
    async pollOpsRepo(input: PollOpsRepoInput): Promise<PollOpsRepoResult> {
      return whileHeartbeating(async () => {
        const branch = { url: input.url, branch: input.branch };
        const rows = await loadBranchRows(deps.pool, branch);
        if (rows.length === 0) return { retired: true, intervalMs: DEFAULT_POLL_INTERVAL_MS, signalled: 0, notRunning: 0 };
        const source = validateOpsRepoSource({ ...branch, path: '' }, deps);
        const head = await resolveBranchHead(deps, source);

        const changes = new Map<string, string[] | undefined>();
        for (const row of rows) {
          const since = changedSince(row, head, input.previousSha);
          if (since !== undefined && !changes.has(since)) changes.set(since, await changedFiles(deps, source, since, head));
        }
        const affected = environmentsAffected(rows, head, input.previousSha, changes);
        let signalled = 0;
        let notRunning = 0;
        for (let start = 0; start < affected.length; start += SIGNALS_AT_ONCE) {
          const sent = await Promise.all(
            affected.slice(start, start + SIGNALS_AT_ONCE).map((environment) => {
              const noticed = describeBranchMove(input.branch, head, environment.files);
              const detail = input.trigger ? `${noticed} (${input.trigger})` : noticed;
              return deps.signalReconcile(environment, { source: 'ops-repo', detail, opsSha: head });
            }),
          );
          signalled += sent.filter(Boolean).length;
          notRunning += sent.filter((ok) => !ok).length;
        }
        // Recorded after the signals: a poll that fails halfway is retried from the same baseline.
        await recordBranchHead(deps.pool, branch, head);
        return { retired: false, sha: head, intervalMs: pollIntervalMs(rows.map((row) => row.syncIntervalS)), signalled, notRunning };
      });
    },
  };
}
