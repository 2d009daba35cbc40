// A drift pass applies only what drifted. The apply activity remembers (in Postgres) what its last
// apply left in the cluster; a drift pass (`onlyDrifted`) compares the live objects with that and
// applies only the objects someone changed or deleted. The tests prove what was written by acting
// as identities that may write only what the pass is expected to write.
import * as k8s from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createApplyActivities } from '../../activities/apply.js';
import type { ApplyInput, ApplyResult } from '../../activities/types.js';
import { storeRenderedManifest } from '../../src/db/manifests.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { createNamespaceIdentity } from '../support/namespace-identity.js';
import { registerSampleEnvironment, type SampleEnvironment } from '../support/sample-environment.js';

const suffix = uniqueSuffix();
let env: SampleEnvironment;
let pool: pg.Pool;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;
let kubeConfig: k8s.KubeConfig;
let activities: ReturnType<typeof createApplyActivities>;

function objects({ withConfigMap = true } = {}): object[] {
  return [
    ...(withConfigMap ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { LOG_LEVEL: 'info' } }] : []),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/drift/web:1' }] } },
      },
    },
  ];
}

async function apply(overrides: Partial<ApplyInput> = {}, rendered = objects()): Promise<ApplyResult> {
  const manifestHash = await storeRenderedManifest(pool, rendered.map((o) => YAML.stringify(o)).join('---\n'));
  const input: ApplyInput = { ...env.key, namespace: env.namespace, manifestHash, forceConflicts: true, omitReplicas: false, ...overrides };
  return (await new MockActivityEnvironment().run(activities.applyManifests, input)) as ApplyResult;
}

const actions = (result: ApplyResult) => Object.fromEntries(result.changes.map((c) => [`${c.ref.kind}/${c.ref.name}`, c.action]));

/** A service account of the namespace that may read the environment's kinds and write only `writable`. */
function identity(name: string, writable: Array<{ group: string; resource: string; verbs: string[] }>): Promise<{ user: string }> {
  return createNamespaceIdentity(kubeConfig, env.namespace, name, [
    { apiGroups: ['', 'apps'], resources: ['configmaps', 'services', 'deployments'], verbs: ['get', 'list'] },
    ...writable.map((w) => ({ apiGroups: [w.group], resources: [w.resource], verbs: w.verbs })),
  ]);
}

beforeAll(async () => {
  pool = getPool(testEnv.databaseUrl);
  await migrate(pool);
  env = await registerSampleEnvironment(pool, `drift-${suffix}`, 'dev', {});
  kubeConfig = loadKubeConfig(testEnv.kubeconfig);
  apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  activities = createApplyActivities({ pool, kubeConfig });
  expect(actions(await apply())).toMatchObject({ 'ConfigMap/web-config': 'created', 'Service/web': 'created', 'Deployment/web': 'created' });
});

afterAll(async () => {
  await core?.deleteNamespace({ name: env.namespace }).catch(() => undefined);
  await closePools();
  if (env) await rm(env.dir, { recursive: true, force: true });
});

describe('a drift pass applies only what drifted', () => {
  it('writes nothing when nothing changed: an identity that may only read is enough', async () => {
    const reader = await identity('reader', []);
    const pass = await apply({ onlyDrifted: true, impersonate: reader });
    expect(pass.changed).toBe(false);
    expect(actions(pass)).toEqual({ 'ConfigMap/web-config': 'unchanged', 'Service/web': 'unchanged', 'Deployment/web': 'unchanged' });
    // The same identity cannot apply: the pass above made no write.
    await expect(apply({ impersonate: reader })).rejects.toThrow(/forbidden|Forbidden/);
  });

  it('re-applies only the Deployment after a hand edit of its image', async () => {
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: env.namespace, fieldManager: 'kubectl-edit', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/drift/web:hand-edited' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const deployments = await identity('deployments-only', [{ group: 'apps', resource: 'deployments', verbs: ['patch'] }]);
    const pass = await apply({ onlyDrifted: true, impersonate: deployments });
    expect(actions(pass)).toEqual({ 'ConfigMap/web-config': 'unchanged', 'Service/web': 'unchanged', 'Deployment/web': 'configured' });
    const live = await apps.readNamespacedDeployment({ name: 'web', namespace: env.namespace });
    expect(live.spec?.template.spec?.containers[0]?.image).toBe('registry.example/drift/web:1');
    // What it applied is the new baseline: the next pass finds nothing.
    expect((await apply({ onlyDrifted: true, impersonate: await identity('reader-2', []) })).changed).toBe(false);
  });

  it('recreates only a deleted ConfigMap', async () => {
    await core.deleteNamespacedConfigMap({ name: 'web-config', namespace: env.namespace });
    const configMaps = await identity('configmaps-only', [{ group: '', resource: 'configmaps', verbs: ['patch', 'create'] }]);
    const pass = await apply({ onlyDrifted: true, impersonate: configMaps });
    expect(actions(pass)).toEqual({ 'ConfigMap/web-config': 'created', 'Service/web': 'unchanged', 'Deployment/web': 'unchanged' });
    expect((await core.readNamespacedConfigMap({ name: 'web-config', namespace: env.namespace })).data).toEqual({ LOG_LEVEL: 'info' });
  });

  it('applies everything, pruning what the render dropped, when the render is not what was applied last', async () => {
    const pass = await apply({ onlyDrifted: true }, objects({ withConfigMap: false }));
    expect(actions(pass)).toEqual({ 'ConfigMap/web-config': 'pruned', 'Service/web': 'unchanged', 'Deployment/web': 'unchanged' });
    await expect(core.readNamespacedConfigMap({ name: 'web-config', namespace: env.namespace })).rejects.toMatchObject({ code: 404 });
  });

  it('applies everything when the record is missing', async () => {
    await pool.query('DELETE FROM applied_objects WHERE project = $1', [env.key.project]);
    const reader = await identity('reader-3', []);
    await expect(apply({ onlyDrifted: true, impersonate: reader }, objects({ withConfigMap: false }))).rejects.toThrow(/forbidden|Forbidden/);
    expect((await apply({ onlyDrifted: true }, objects({ withConfigMap: false }))).changed).toBe(false);
    expect((await apply({ onlyDrifted: true, impersonate: reader }, objects({ withConfigMap: false }))).changed).toBe(false);
  });
});
