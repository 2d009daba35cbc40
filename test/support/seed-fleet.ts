// A fleet of N environments written straight into Postgres, for measuring the dashboard at size:
// each registered, with a recorded healthy release, and a mix of live statuses (some deploying,
// some waiting for approval) and drift corrections, as a busy fleet has. No workflow runs for
// them. `removeSeededFleet` deletes the project and everything of it again.
import type pg from 'pg';
import { registerEnvironment } from '../../src/db/environments.js';

export function seededEnvironmentName(index: number): string {
  return `env-${String(index).padStart(4, '0')}`;
}

export async function seedFleet(pool: pg.Pool, project: string, count: number): Promise<void> {
  // The first through the real registration (project and ops repo rows), the rest in bulk beside it.
  await registerEnvironment(pool, {
    project,
    environment: seededEnvironmentName(1),
    opsRepo: { name: `${project}-ops`, url: 'https://git.example.com/ops.git', branch: 'main', path: 'envs' },
    manifestPath: 'app.yaml.njk',
    namespace: `${project}-${seededEnvironmentName(1)}`.slice(0, 63),
    policy: {},
    valuesOverride: {},
  });
  await pool.query(
    `INSERT INTO environments (project, name, ops_repo_id, manifest_path, namespace)
     SELECT e.project, 'env-' || lpad(i::text, 4, '0'), e.ops_repo_id, e.manifest_path, left(e.project || '-env-' || lpad(i::text, 4, '0'), 63)
       FROM environments e, generate_series(2, $2::int) AS i
      WHERE e.project = $1 AND e.name = 'env-0001'`,
    [project, count],
  );
  await pool.query(
    `INSERT INTO deployments (project, environment, desired_image, current_status, current_image, current_sha, deployed_at)
     SELECT project, name, 'registry.example/shop/web:1.' || (i % 7), 'healthy', 'registry.example/shop/web:1.' || (i % 7),
            md5(name), now() - (i || ' minutes')::interval
       FROM environments, LATERAL (SELECT substr(name, 5)::int AS i) n
      WHERE project = $1`,
    [project],
  );
  await pool.query(
    `INSERT INTO environment_live (project, environment, phase, detail, until, reported_at)
     SELECT project, name,
            CASE WHEN i % 10 = 0 THEN 'waiting' WHEN i % 10 = 1 THEN 'deploying' ELSE 'healthy' END,
            CASE WHEN i % 10 = 0 THEN 'approval' WHEN i % 10 = 1 THEN 'deploy, step health' END,
            CASE WHEN i % 10 = 0 THEN now() + interval '1 day' END,
            now()
       FROM environments, LATERAL (SELECT substr(name, 5)::int AS i) n
      WHERE project = $1`,
    [project],
  );
  await pool.query(
    `INSERT INTO deployment_history (idempotency_key, project, environment, action, status, image_ref, requested_by, started_at, finished_at)
     SELECT project || '/' || name || '/drift', project, name, 'drift', 'corrected', 'registry.example/shop/web:1.' || (i % 7), 'deployer (cluster)',
            now() - interval '5 minutes', now() - interval '5 minutes'
       FROM environments, LATERAL (SELECT substr(name, 5)::int AS i) n
      WHERE project = $1 AND i % 5 = 0`,
    [project],
  );
  // As autovacuum would soon after such a burst: the planner then knows the tables' sizes.
  await pool.query('ANALYZE environments, deployments, environment_live, deployment_history');
}

export async function removeSeededFleet(pool: pg.Pool, project: string): Promise<void> {
  await pool.query('DELETE FROM deployment_history WHERE project = $1', [project]);
  await pool.query('DELETE FROM projects WHERE name = $1', [project]);
  await pool.query('DELETE FROM ops_repos WHERE name = $1', [`${project}-ops`]);
}
