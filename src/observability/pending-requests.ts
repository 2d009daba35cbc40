// deployer_pending_requests at scrape time: how many registered environments have a request
// waiting in their workflow's pending slot. Queries run in parallel with a short timeout, so a
// slow or missing workflow never stalls a scrape.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { environmentWorkflowId, stateQuery } from '../../workflows/messages.js';
import { pendingRequests } from './metrics.js';

export async function observePendingRequests(pool: pg.Pool, client: Client, timeoutMs = 1_000): Promise<void> {
  const { rows } = await pool.query<{ project: string; name: string }>('SELECT project, name FROM environments');
  const answers = await Promise.all(
    rows.map(async ({ project, name }) => {
      const query = client.workflow.getHandle(environmentWorkflowId(project, name)).query(stateQuery);
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
      return Promise.race([query.catch(() => undefined), timeout]);
    }),
  );
  pendingRequests.set(answers.filter((state) => state?.pending !== undefined).length);
}
