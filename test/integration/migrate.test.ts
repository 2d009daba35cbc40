import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations, migrate, migrationsDir } from '../../src/db/migrate.js';
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
    expect([...first, ...second].sort((a, b) => a - b)).toEqual(all);
    expect(await migrate(pool)).toEqual([]);

    const { rows } = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'api_tokens', 'applied_objects', 'audit_log', 'deployment_history', 'deployments', 'environment_live', 'environment_rollout', 'environment_secrets', 'environments', 'namespace_claims',
      'notification_deliveries', 'notification_subscriptions', 'ops_repos', 'project_policies', 'projects', 'rendered_manifests', 'schema_migrations',
    ]);
    // 002 claimed the namespaces of environments registered before it (none here) and added the tenancy columns.
    const columns = await pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'environments' AND column_name IN ('share_namespace', 'impersonate') ORDER BY column_name",
    );
    expect(columns.rows.map((r) => r.column_name)).toEqual(['impersonate', 'share_namespace']);
    const recorded = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.rows.map((r) => r.version)).toEqual(all);
  });

  it('gives each namespace of environments registered before claims existed to the project that came first', async () => {
    const legacy = `deployer_migrate_legacy_${uniqueSuffix()}`;
    await admin.query(`CREATE DATABASE ${legacy}`);
    const url = new URL(testEnv.databaseUrl);
    url.pathname = `/${legacy}`;
    const old = new pg.Pool({ connectionString: url.toString(), max: 2 });
    const onlyFirst = await mkdtemp(join(tmpdir(), 'deployer-migrations-'));
    try {
      await copyFile(join(migrationsDir, '001_initial.sql'), join(onlyFirst, '001_initial.sql'));
      await migrate(old, onlyFirst);
      await old.query("INSERT INTO ops_repos (name, url) VALUES ('ops', 'https://git.example.com/ops.git')");
      await old.query("INSERT INTO projects (name) VALUES ('first'), ('second')");
      await old.query(`INSERT INTO environments (project, name, ops_repo_id, manifest_path, namespace, created_at) VALUES
        ('first', 'prod', 1, 'a.njk', 'shared', now() - interval '2 days'),
        ('second', 'prod', 1, 'a.njk', 'shared', now() - interval '1 day'),
        ('second', 'dev', 1, 'a.njk', 'second-dev', now())`);
      expect((await migrate(old)).slice(0, 1)).toEqual([2]); // and whatever came after 002
      const { rows } = await old.query<{ namespace: string; project: string }>('SELECT namespace, project FROM namespace_claims ORDER BY namespace');
      expect(rows).toEqual([
        { namespace: 'second-dev', project: 'second' },
        { namespace: 'shared', project: 'first' },
      ]);
    } finally {
      await old.end();
      await admin.query(`DROP DATABASE IF EXISTS ${legacy}`);
      await rm(onlyFirst, { recursive: true, force: true });
    }
  });
});
