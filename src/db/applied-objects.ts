// What an environment's last apply left in the cluster (migration 004): the apply activity writes
// it after every apply and reads it at the start of a drift pass.
import type pg from 'pg';

export interface AppliedObjects {
  /** digest of every object as it was applied (render, namespace, labels, replicas left out or not) */
  plan: string;
  /** refKey → digest of the fields the environment owned on the live object right after the apply */
  fields: Record<string, string>;
}

export async function loadAppliedObjects(pool: pg.Pool, project: string, environment: string): Promise<AppliedObjects | undefined> {
  const { rows } = await pool.query<AppliedObjects>('SELECT plan, fields FROM applied_objects WHERE project = $1 AND environment = $2', [project, environment]);
  return rows[0];
}

/** Saves the record; for an environment that is not registered (nothing to keep it for) it does nothing. */
export async function saveAppliedObjects(pool: pg.Pool, project: string, environment: string, applied: AppliedObjects): Promise<void> {
  await pool.query(
    `INSERT INTO applied_objects (project, environment, plan, fields)
     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM environments WHERE project = $1 AND name = $2)
     ON CONFLICT (project, environment) DO UPDATE SET plan = EXCLUDED.plan, fields = EXCLUDED.fields, updated_at = now()`,
    [project, environment, applied.plan, JSON.stringify(applied.fields)],
  );
}
