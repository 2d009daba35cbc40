import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { afterAll, describe, expect, it } from 'vitest';

describe('local git repositories', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('clones a repository made on disk through a file:// URL and sees its commits', async () => {
    const origin = await mkdtemp(join(tmpdir(), 'deployer-origin-'));
    const clone = await mkdtemp(join(tmpdir(), 'deployer-clone-'));
    dirs.push(origin, clone);

    const repo = simpleGit(origin);
    await repo.init(['--initial-branch=main']);
    await repo.addConfig('user.name', 'deployer tests').addConfig('user.email', 'tests@deployer.local');
    await writeFile(join(origin, 'values.yaml'), 'replicas: 2\n');
    await repo.add('.').commit('first values');
    const originSha = (await repo.revparse(['HEAD'])).trim();

    await simpleGit().clone(pathToFileURL(origin).href, clone, ['--branch', 'main']);
    const cloned = simpleGit(clone);
    expect((await cloned.revparse(['HEAD'])).trim()).toBe(originSha);
    expect(await readFile(join(clone, 'values.yaml'), 'utf8')).toBe('replicas: 2\n');

    await writeFile(join(origin, 'values.yaml'), 'replicas: 3\n');
    await repo.add('.').commit('scale up');
    await cloned.pull('origin', 'main');
    expect((await cloned.revparse(['HEAD'])).trim()).toBe((await repo.revparse(['HEAD'])).trim());
    expect(await readFile(join(clone, 'values.yaml'), 'utf8')).toBe('replicas: 3\n');
  });
});
