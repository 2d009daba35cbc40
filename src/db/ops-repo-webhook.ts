// What a push webhook needs to know about the ops repo it names: where its poller is, and the secret
// the push must be signed with. The only reader of the secret.
import type pg from 'pg';

export interface WebhookTarget {
  id: number;
  name: string;
  url: string;
  branch: string;
  /** null when none is set: the webhook is refused until an admin sets one */
  secret: string | null;
}

export async function findWebhookTarget(pool: pg.Pool, name: string): Promise<WebhookTarget | undefined> {
  const { rows } = await pool.query<{ id: string; name: string; url: string; branch: string; webhook_secret: string | null }>(
    'SELECT id, name, url, branch, webhook_secret FROM ops_repos WHERE name = $1',
    [name],
  );
  const row = rows[0];
  return row && { id: Number(row.id), name: row.name, url: row.url, branch: row.branch, secret: row.webhook_secret };
}
