// Every worker makes sure each ops repository branch in the database has its poller: the first to
// start creates the workflows, the others find them running. Repos registered through the API or
// CLI start theirs at once; this covers the rest (rows written by SQL, a Temporal outage then).
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { startOpsRepoPoller } from '../client/ops-repo-poller.js';
import { listOpsRepoBranches } from '../db/ops-repo-branches.js';
import type { Logger } from '../observability/logger.js';

/** Starts the missing pollers; failures are logged, never thrown, so they cannot keep the worker from running. */
export async function startOpsRepoPollers(client: Client, pool: pg.Pool, taskQueue: string, logger: Logger): Promise<void> {
  let branches;
  try {
    branches = await listOpsRepoBranches(pool);
  } catch (error) {
    logger.warn({ err: error }, 'could not list the ops repos to start their pollers; each starts with its next webhook or registration');
    return;
  }
  for (const branch of branches) {
    try {
      await startOpsRepoPoller(client, { ...branch, taskQueue });
    } catch (error) {
      logger.warn({ err: error, url: branch.url, branch: branch.branch }, 'could not start the poller of an ops repo branch');
    }
  }
  logger.info({ pollers: branches.length }, 'ops repo pollers running');
}
