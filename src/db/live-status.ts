// The environments' live statuses in Postgres, and the notice that tells the API's live feed which
// ones changed. One statement writes a whole batch and one notice per few hundred environments
// names them, however many workflows reported: the feed reads the rows it needs itself.
import type pg from 'pg';
import type { EnvironmentRef } from '../domain/vocabulary.js';
import type { LiveStatus } from '../domain/live-status.js';

/** The channel the API listens on; a notice's payload is a JSON array of [project, environment]. */
export const LIVE_STATUS_CHANNEL = 'deployer_live';

// NOTIFY payloads must stay under 8,000 bytes; names are at most 63 characters each.
const REFS_PER_NOTICE = 50;

export interface LiveStatusReport extends EnvironmentRef {
  status: LiveStatus;
}

/**
 * Writes each report unless a later one is already there, for registered environments only (a
 * workflow may outlive its registration), and notifies the feed of those it wrote.
 */
export async function writeLiveStatuses(pool: pg.Pool, reports: LiveStatusReport[]): Promise<void> {
  if (reports.length === 0) return;
  const column = <T>(pick: (report: LiveStatusReport) => T) => reports.map(pick);
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ project: string; environment: string }>(
      `INSERT INTO environment_live AS l (project, environment, phase, detail, until, reported_at)
       SELECT r.project, r.environment, r.phase, r.detail, to_timestamp(r.until / 1000.0), to_timestamp(r.at / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[]) AS r (project, environment, phase, detail, until, at)
         JOIN environments e ON e.project = r.project AND e.name = r.environment
       ON CONFLICT (project, environment) DO UPDATE
          SET phase = EXCLUDED.phase, detail = EXCLUDED.detail, until = EXCLUDED.until, reported_at = EXCLUDED.reported_at
        WHERE l.reported_at <= EXCLUDED.reported_at
       RETURNING l.project, l.environment`,
      [
        column((r) => r.project),
        column((r) => r.environment),
        column((r) => r.status.phase),
        column((r) => r.status.detail ?? null),
        column((r) => r.status.until ?? null),
        column((r) => r.status.at),
      ],
    );
    for (let i = 0; i < rows.length; i += REFS_PER_NOTICE) {
      const refs = rows.slice(i, i + REFS_PER_NOTICE).map((row) => [row.project, row.environment]);
      await client.query('SELECT pg_notify($1, $2)', [LIVE_STATUS_CHANNEL, JSON.stringify(refs)]);
    }
  } finally {
    client.release();
  }
}
