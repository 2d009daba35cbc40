// The sample project `npm start` deploys: a local git ops repo made from sample/ops-repo, and its
// registration as environment sample/dev.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type pg from 'pg';
import { simpleGit } from 'simple-git';
import type { EnvironmentPolicy } from '../domain/vocabulary.js';
import { registerEnvironment } from '../db/environments.js';

export const sampleSource = fileURLToPath(new URL('../../sample/ops-repo', import.meta.url));
export interface SampleTarget {
  project: string;
  environment: string;
  namespace: string;
  image: string;
}

export const sample: SampleTarget = { project: 'sample', environment: 'dev', namespace: 'sample-dev', image: 'registry.example/sample/web:1.0.0' };

/**
 * Makes (or updates) a git repository at `dir` holding the sample's files, committing when they
 * changed, and returns its file:// URL. An existing repository keeps its history.
 */
export async function ensureSampleRepo(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const git = simpleGit(dir);
  if (!existsSync(join(dir, '.git'))) {
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.name', 'deployer sample').addConfig('user.email', 'sample@deployer.local');
  }
  let changed = false;
  for (const file of await readdir(sampleSource)) {
    const wanted = await readFile(join(sampleSource, file), 'utf8');
    const target = join(dir, file);
    if (!existsSync(target) || (await readFile(target, 'utf8')) !== wanted) {
      await cp(join(sampleSource, file), target);
      changed = true;
    }
  }
  if (changed || !(await git.log().catch(() => undefined))?.total) {
    await git.add('.');
    await git.commit('sample application', undefined, { '--allow-empty': null });
  }
  return pathToFileURL(dir).href;
}

export async function registerSample(pool: pg.Pool, target: SampleTarget, repoUrl: string, policy: Partial<EnvironmentPolicy> = {}): Promise<void> {
  await registerEnvironment(pool, {
    project: target.project,
    environment: target.environment,
    namespace: target.namespace,
    manifestPath: 'app.yaml.njk',
    opsRepo: { name: `${target.project}-ops`, url: repoUrl, branch: 'main', path: '.' },
    policy,
  });
}

/** Writes `content` to `file` with owner-only permissions (the admin token of the local setup). */
export async function writeSecretFile(file: string, content: string): Promise<void> {
  await writeFile(file, content, { mode: 0o600 });
}
