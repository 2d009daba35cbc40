// Stage 1 of a deployment: find out which commit of the ops repository to deploy. The result is a
// SHA, so every later step (and any retry or rollback) renders exactly the same files.
import { ensureCommit, resolveBranchHead } from '../src/git/checkout.js';
import { validateCommitSha, validateOpsRepoSource } from '../src/git/validate.js';
import type { ActivityDeps } from './index.js';
import { runStep } from './step.js';
import type { SyncOpsRepoInput, SyncOpsRepoResult } from './types.js';

export function createOpsRepoActivities(deps: Pick<ActivityDeps, 'repoCacheDir' | 'allowFileUrls'>) {
  return {
    /** The pinned commit when one is given (after making sure it exists), else the branch head. */
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
        return { sha: await resolveBranchHead(deps, source) };
      });
    },
  };
}
