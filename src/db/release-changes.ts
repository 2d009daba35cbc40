// What a release's apply did, written onto the release's own history row (migration 008) by the
// activity that applied it, so the diff goes to Postgres and never through a Temporal payload.
import type pg from 'pg';
import { replacesRecordedChanges, type ReleaseChanges } from '../domain/release-changes.js';

/**
 * Writes `changes` onto the history row `idempotencyKey`, unless it already holds an account of an
 * earlier attempt and this one changed nothing (replacesRecordedChanges). A plain UPDATE: the
 * release's in-progress row is written before its apply starts.
 */
export async function recordReleaseChanges(pool: pg.Pool, idempotencyKey: string, changes: ReleaseChanges): Promise<void> {
  await pool.query(
    `UPDATE deployment_history SET changes = $2
      WHERE idempotency_key = $1 AND (changes IS NULL OR $3)`,
    [idempotencyKey, JSON.stringify(changes), replacesRecordedChanges(changes)],
  );
}
