// Applies migrations/NNN_name.sql in order, each in its own transaction, under an advisory lock
// so concurrent starters (worker and API at once) never apply one twice.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));
const LOCK_ID = 0x6465706c; // "depl"

export interface Migration {
  version: number;
  name: string;
  file: string;
}

/** The migration files, ordered by their number; a malformed or duplicated number is an error. */
export async function listMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Map<number, string>();
  return files.map((file) => {
    const match = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file ${file} must be named NNN_name.sql (lower-case name)`);
    const version = Number(match[1]);
    const clash = seen.get(version);
    if (clash) throw new Error(`migrations ${clash} and ${file} share version ${version}`);
    seen.set(version, file);
    return { version, name: match[2]!, file: join(dir, file) };
  });
}

/** Applies every pending migration; returns the versions applied (empty when up to date). */
export async function migrate(pool: pg.Pool, dir = migrationsDir): Promise<number[]> {
  const migrations = await listMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      const sql = await readFile(migration.file, 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`);
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => undefined);
    client.release();
  }
}
