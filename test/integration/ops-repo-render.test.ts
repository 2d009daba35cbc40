import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import { simpleGit, type SimpleGit } from 'simple-git';
import { failureOf } from '../support/failures.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsRepoActivities } from '../../activities/ops-repo.js';
import { createRenderActivities } from '../../activities/render.js';
import type { OpsRepoSource, RenderInput } from '../../activities/types.js';
import { loadRenderedManifest } from '../../src/db/manifests.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { testEnv } from '../support/env.js';

const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ project_name }}
  labels:
    environment: {{ environment }}
spec:
  replicas: {{ values.replicas }}
  template:
    spec:
      containers:
        - name: web
          image: {{ image_ref }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ project_name }}
spec:
  ports:
    - port: {{ values.port }}
`;

/** A repository on disk, served through a file:// URL like a remote. */
class OriginRepo {
  private constructor(
    readonly dir: string,
    private readonly git: SimpleGit,
  ) {}

  static async create(parent: string): Promise<OriginRepo> {
    const dir = await mkdtemp(join(parent, 'origin-'));
    const git = simpleGit(dir);
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.name', 'deployer tests').addConfig('user.email', 'tests@deployer.local');
    return new OriginRepo(dir, git);
  }

  get url(): string {
    return pathToFileURL(this.dir).href;
  }

  async write(path: string, content: string): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await writeFile(join(this.dir, path), content);
  }

  async link(path: string, target: string): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await symlink(target, join(this.dir, path));
  }

  async commit(message: string): Promise<string> {
    await this.git.add('.').commit(message);
    return (await this.git.revparse(['HEAD'])).trim();
  }
}


describe('ops repo sync and render against real git and Postgres', () => {
  let pool: pg.Pool;
  let base: string;
  let origin: OriginRepo;
  let source: OpsRepoSource;
  let firstSha: string;
  let secondSha: string;

  /** Activities as one worker has them: its own repository cache directory. */
  async function worker() {
    const deps = { pool, repoCacheDir: await mkdtemp(join(base, 'cache-')), allowFileUrls: true };
    return { ...createOpsRepoActivities(deps), ...createRenderActivities(deps) };
  }

  function renderInput(sha: string, overrides: Partial<RenderInput> = {}): RenderInput {
    return {
      opsRepo: source,
      sha,
      manifestPath: 'templates/app.yaml.njk',
      project: 'shop',
      environment: 'prod',
      namespace: 'shop-prod',
      imageRef: 'registry.example/shop@sha256:1111',
      valuesOverrides: [],
      ...overrides,
    };
  }

  beforeAll(async () => {
    pool = getPool(testEnv.databaseUrl);
    await migrate(pool);
    base = await mkdtemp(join(tmpdir(), 'deployer-ops-render-'));
    origin = await OriginRepo.create(base);
    await origin.write('README.md', 'ops repo\n');
    await origin.write('envs/prod/values.yaml', 'replicas: 2\nport: 80\n');
    await origin.write('envs/prod/templates/app.yaml.njk', TEMPLATE);
    firstSha = await origin.commit('prod at 2 replicas');
    source = { url: origin.url, branch: 'main', path: 'envs/prod' };
  });

  afterAll(async () => {
    await closePools();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('syncs to the head of the branch', async () => {
    const activities = await worker();
    expect(await activities.syncOpsRepo({ opsRepo: source })).toEqual({ sha: firstSha });
  });

  it('renders, stores the manifest under its hash and returns the object refs', async () => {
    const activities = await worker();
    const result = await activities.renderManifests(renderInput(firstSha));

    expect(result.objects).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop', namespace: 'shop-prod' },
      { apiVersion: 'v1', kind: 'Service', name: 'shop', namespace: 'shop-prod' },
    ]);
    const { rows } = await pool.query<{ yaml: string; size: number }>('SELECT yaml, size FROM rendered_manifests WHERE sha256 = $1', [
      result.manifestHash,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.yaml).toContain('replicas: 2\n');
    expect(rows[0]!.yaml).toContain('image: registry.example/shop@sha256:1111\n');
    expect(rows[0]!.yaml).toContain('\n---\napiVersion: v1\nkind: Service\n');
    expect(rows[0]!.size).toBe(Buffer.byteLength(rows[0]!.yaml));
  });

  it('renders the same input to the same hash, on the same worker and on another', async () => {
    const first = await worker();
    const second = await worker();
    const once = await first.renderManifests(renderInput(firstSha));
    const twice = await first.renderManifests(renderInput(firstSha));
    const elsewhere = await second.renderManifests(renderInput(firstSha));
    expect(twice.manifestHash).toBe(once.manifestHash);
    expect(elsewhere.manifestHash).toBe(once.manifestHash);
  });

  it('deep-merges the override over values.yaml', async () => {
    const activities = await worker();
    const result = await activities.renderManifests(renderInput(firstSha, { valuesOverrides: [{ replicas: 5 }] }));
    const yaml = await loadRenderedManifest(pool, result.manifestHash);
    expect(yaml).toContain('replicas: 5\n');
    expect(yaml).toContain('- port: 80\n');
  });

  it('follows new commits on sync while a pinned SHA keeps rendering the old files', async () => {
    const activities = await worker();
    const before = await activities.renderManifests(renderInput(firstSha));

    await origin.write('envs/prod/values.yaml', 'replicas: 3\nport: 8080\n');
    secondSha = await origin.commit('prod at 3 replicas');

    expect(await activities.syncOpsRepo({ opsRepo: source })).toEqual({ sha: secondSha });
    expect(await activities.syncOpsRepo({ opsRepo: source, pinSha: firstSha })).toEqual({ sha: firstSha });

    const old = await activities.renderManifests(renderInput(firstSha));
    const current = await activities.renderManifests(renderInput(secondSha));
    expect(old.manifestHash).toBe(before.manifestHash);
    expect(await loadRenderedManifest(pool, old.manifestHash)).toContain('replicas: 2\n');
    expect(await loadRenderedManifest(pool, current.manifestHash)).toContain('replicas: 3\n');
  });

  it('renders a pinned SHA on a worker that never synced it (render fetches what it lacks)', async () => {
    const fresh = await worker();
    const result = await fresh.renderManifests(renderInput(secondSha));
    expect(await loadRenderedManifest(pool, result.manifestHash)).toContain('- port: 8080\n');
  });

  it('serves two SHAs of one repository at once without mixing them up', async () => {
    const shared = await worker();
    const [old, current, head, pinned] = await Promise.all([
      shared.renderManifests(renderInput(firstSha)),
      shared.renderManifests(renderInput(secondSha)),
      shared.syncOpsRepo({ opsRepo: source }),
      shared.syncOpsRepo({ opsRepo: source, pinSha: firstSha }),
    ]);
    expect(head.sha).toBe(secondSha);
    expect(pinned.sha).toBe(firstSha);
    const [oldYaml, currentYaml] = await Promise.all([
      loadRenderedManifest(pool, old.manifestHash),
      loadRenderedManifest(pool, current.manifestHash),
    ]);
    expect(oldYaml).toContain('replicas: 2\n');
    expect(oldYaml).toContain('- port: 80\n');
    expect(currentYaml).toContain('replicas: 3\n');
    expect(currentYaml).toContain('- port: 8080\n');
  });

  it('refuses a pinned SHA the repository does not have', async () => {
    const activities = await worker();
    const unknown = 'f'.repeat(40);
    const failure = await failureOf(() => activities.syncOpsRepo({ opsRepo: source, pinSha: unknown }));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`commit ${unknown} does not exist in ${origin.url}`);
    expect((await failureOf(() => activities.renderManifests(renderInput(unknown)))).type).toBe('InvalidOpsRepo');
  });

  it('refuses a branch the repository does not have', async () => {
    const activities = await worker();
    const failure = await failureOf(() => activities.syncOpsRepo({ opsRepo: { ...source, branch: 'nope' } }));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.message).toBe(`opsRepo.branch "nope" does not exist in ${origin.url}`);
  });

  it('refuses file:// URLs on a worker that does not allow them, before touching git', async () => {
    const { syncOpsRepo } = createOpsRepoActivities({ repoCacheDir: join(base, 'never-created'), allowFileUrls: false });
    const failure = await failureOf(() => syncOpsRepo({ opsRepo: source }));
    expect(failure.type).toBe('InvalidOpsRepo');
    await expect(mkdir(join(base, 'never-created'))).resolves.toBeUndefined();
  });

  describe('symlinks that point outside the repository', () => {
    let linked: OriginRepo;
    let linkedSha: string;

    beforeAll(async () => {
      const outside = join(base, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'secret.yaml'), 'password: hunter2\n');
      linked = await OriginRepo.create(base);
      await linked.write('app/templates/app.yaml.njk', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n{% include "leak.yaml" %}\n');
      await linked.link('app/leak.yaml', join(outside, 'secret.yaml'));
      await linked.write('values-link/templates/app.yaml.njk', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
      await linked.link('values-link/values.yaml', join(outside, 'secret.yaml'));
      await linked.link('dir-link', outside);
      linkedSha = await linked.commit('links out');
    });

    function linkedInput(path: string, manifestPath = 'templates/app.yaml.njk'): RenderInput {
      return { ...renderInput(linkedSha), opsRepo: { url: linked.url, branch: 'main', path }, manifestPath };
    }

    it.each([
      // Reaching out of the repo from inside a template is a sandbox escape attempt.
      ['an included template', 'app', 'templates/app.yaml.njk', 'TemplateForbidden'],
      ['values.yaml', 'values-link', 'templates/app.yaml.njk', 'InvalidPath'],
      ['the ops repo path', 'dir-link', 'secret.yaml', 'InvalidPath'],
    ])('are refused for %s', async (_what, path, manifestPath, type) => {
      const activities = await worker();
      expect(await activities.syncOpsRepo({ opsRepo: linkedInput(path).opsRepo })).toEqual({ sha: linkedSha });
      const failure = await failureOf(() => activities.renderManifests(linkedInput(path, manifestPath)));
      expect(failure.type).toBe(type);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/symlink that points outside the repository/);
      expect(failure.message).not.toContain('hunter2');
    });
  });
});
