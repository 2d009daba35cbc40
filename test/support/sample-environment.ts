// An environment of the sample app on a fresh local git ops repo (a copy of sample/ops-repo, one
// commit), registered in Postgres: what the integration and fault tests deploy.
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type pg from 'pg';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { EnvironmentPolicy } from '../../activities/types.js';
import { registerEnvironment } from '../../src/db/environments.js';

const sampleRepo = fileURLToPath(new URL('../../sample/ops-repo', import.meta.url));

export interface SampleEnvironment {
  key: { project: string; environment: string };
  namespace: string;
  /** the ops repository's work tree (the caller removes it) */
  dir: string;
  repo: SimpleGit;
}

export async function registerSampleEnvironment(
  pool: pg.Pool,
  project: string,
  environment: string,
  policy: Partial<EnvironmentPolicy>,
): Promise<SampleEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), `deployer-${project}-`));
  await cp(sampleRepo, dir, { recursive: true });
  const repo = simpleGit(dir);
  await repo.init(['--initial-branch=main']);
  await repo.addConfig('user.name', 'deployer tests').addConfig('user.email', 'tests@deployer.local');
  await repo.add('.').commit('sample app');
  const namespace = `${project}-${environment}`;
  await registerEnvironment(pool, {
    project,
    environment,
    opsRepo: { name: `${project}-ops`, url: pathToFileURL(dir).href, branch: 'main', path: '.' },
    manifestPath: 'app.yaml.njk',
    namespace,
    policy,
  });
  return { key: { project, environment }, namespace, dir, repo };
}
