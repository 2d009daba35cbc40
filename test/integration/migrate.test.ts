import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations, migrate } from '../../src/db/migrate.js';
import { testEnv, uniqueSuffix } from '../support/env.js';

describe('migrations', () => {
  const database = `deployer_migrate_${uniqueSuffix()}`;
  const admin = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 1 });
  let pool: pg.Pool;
  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(testEnv.databaseUrl);
    url.pathname = `/${database}`;
    pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });

  it('apply in order from an empty database, once even when started twice at the same time, then are a no-op', async () => {
    const all = (await listMigrations()).map((m) => m.version);
    const [first, second] = await Promise.all([migrate(pool), migrate(pool)]);
    expect([...first, ...second].sort()).toEqual(all);
    expect(await migrate(pool)).toEqual([]);

    const { rows } = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'api_tokens', 'audit_log', 'deployment_history', 'deployments', 'environments', 'ops_repos', 'projects', 'rendered_manifests', 'schema_migrations',
    ]);
    const recorded = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.rows.map((r) => r.version)).toEqual(all);
  });
});
