// After an ops repo is registered or changed through the API, the poller of its branch must run
// (and pick up a new interval or path at once). The row is written by then, so a Temporal outage
// is logged rather than answered as a failure: the next worker start, or the first webhook, starts
// the poller anyway.
import { pollOpsRepoNow, startOpsRepoPoller } from '../client/ops-repo-poller.js';
import type { ResolvedApiDeps } from './deps.js';

/** The poller's workflow id, or undefined when Temporal could not be reached. */
export async function wakeOpsRepoPoller(
  deps: Pick<ResolvedApiDeps, 'temporalClient' | 'taskQueue' | 'logger'>,
  repo: { name: string; url: string; branch: string },
  change: 'created' | 'updated',
): Promise<string | undefined> {
  const target = { url: repo.url, branch: repo.branch, taskQueue: deps.taskQueue };
  try {
    // A new repo's first poll runs at once anyway; a changed one should not wait out the old interval.
    const handle = change === 'created' ? await startOpsRepoPoller(deps.temporalClient, target) : await pollOpsRepoNow(deps.temporalClient, target, `ops repo ${repo.name} was changed`);
    return handle.workflowId;
  } catch (error) {
    deps.logger.error({ err: error, repo: repo.name }, 'starting the poller of the ops repo failed; the next worker start starts it');
    return undefined;
  }
}
