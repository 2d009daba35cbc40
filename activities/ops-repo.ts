// Stage 1 of a deployment: find out which commit of the ops repository to deploy. The result is a
// SHA, so every later step (and any retry or rollback) renders exactly the same files.
import { findFreshBranchHead } from '../src/db/ops-repo-branches.js';
import { ensureCommit, resolveBranchHead, type RepoCache } from '../src/git/checkout.js';
import { validateCommitSha, validateOpsRepoSource } from '../src/git/validate.js';
import type { ActivityDeps } from './index.js';
import { runStep } from './step.js';
import type { SyncOpsRepoInput, SyncOpsRepoResult } from './types.js';

/** Without a pool (tests of git alone) every deployment fetches the branch itself. */
export function createOpsRepoActivities(deps: Pick<ActivityDeps, 'repoCacheDir' | 'allowFileUrls'> & Partial<Pick<ActivityDeps, 'pool'>> & RepoCache) {
  /**
   * The head the branch's poller recorded, when it fetched within its interval; undefined when it
   * did not, or Postgres cannot say (a deployment then fetches, as it would without a poller).
   */
  const freshHead = (source: { url: string; branch: string }) =>
    deps.pool ? findFreshBranchHead(deps.pool, source).catch(() => undefined) : Promise.resolve(undefined);

  return {
    /**
     * The pinned commit when one is given (after making sure it exists), else the branch head: the
     * one the poller handed over or recently recorded, or else fetched now.
     */
    async syncOpsRepo(input: SyncOpsRepoInput): Promise<SyncOpsRepoResult> {
      const source = validateOpsRepoSource(input.opsRepo, deps);
      return runStep(async () => {
        if (input.pinSha !== undefined) {
          const sha = validateCommitSha('pinSha', input.pinSha);
          await ensureCommit(deps, source, sha);
          return { sha };
        }
        // The poller fetched the branch a moment ago: make sure this worker has that commit
        // (fetching only when its mirror lacks it) rather than asking the remote again.
        if (input.knownHead !== undefined) {
          const sha = validateCommitSha('knownHead', input.knownHead);
          await ensureCommit(deps, source, sha);
          return { sha };
        }
        // The poller fetches this branch every interval and moves the environments along when it
        // changes; reusing its head means a fleet of environments on one repo asks the remote once
        // per interval, not once per deployment.
        const recorded = await freshHead(source);
        if (recorded !== undefined) {
          const sha = validateCommitSha('last_sha', recorded);
          await ensureCommit(deps, source, sha);
          return { sha };
        }
        return { sha: await resolveBranchHead(deps, source) };
      });
    },
  };
}
