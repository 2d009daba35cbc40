// Tenancy on the real API server (RBAC on): what a hostile team's environment tries, and what the
// apply activity answers. Nothing it is refused may change anything in the cluster.
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createApplyActivities } from '../../activities/apply.js';
import type { ApplyInput, ApplyResult } from '../../activities/types.js';
import { registerEnvironment } from '../../src/db/environments.js';
import { storeRenderedManifest } from '../../src/db/manifests.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { saveProjectPolicy } from '../../src/db/tenancy.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { createNamespaceIdentity } from '../support/namespace-identity.js';
import { toTemporalFailure } from '../../src/observability/domain-failures-interceptor.js';

const suffix = uniqueSuffix();
let pool: pg.Pool;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let rbac: k8s.RbacAuthorizationV1Api;
let kubeConfig: k8s.KubeConfig;
let scheduling: k8s.SchedulingV1Api;
let applyManifests: ReturnType<typeof createApplyActivities>['applyManifests'];
const namespaces: string[] = [];

interface Env {
  project: string;
  environment: string;
  namespace: string;
}

async function register(env: Env, extra: { shareNamespace?: boolean } = {}): Promise<Env> {
  await registerEnvironment(pool, {
    ...env,
    opsRepo: { name: `tenancy-${suffix}`, url: 'https://git.example.com/ops.git', branch: 'main', path: '.' },
    manifestPath: 'app.yaml.njk',
    ...extra,
  });
  if (!namespaces.includes(env.namespace)) namespaces.push(env.namespace);
  return env;
}

async function apply(env: Env, objects: object[], overrides: Partial<ApplyInput> = {}): Promise<ApplyResult> {
  const manifestHash = await storeRenderedManifest(pool, objects.map((o) => YAML.stringify(o)).join('---\n'));
  const input: ApplyInput = { ...env, manifestHash, forceConflicts: false, omitReplicas: false, ...overrides };
  return new MockActivityEnvironment().run(applyManifests, input) as Promise<ApplyResult>;
}

async function refusal(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const failure = toTemporalFailure(error) as ApplicationFailure;
  expect(failure, `expected ${type}`).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  return failure;
}

const configMap = (name: string, namespace?: string, data: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: namespace ? { name, namespace } : { name },
  data,
});
const deployment = (name: string, namespace: string | undefined, image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: namespace ? { name, namespace } : { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
  },
});

beforeAll(async () => {
  pool = getPool(testEnv.databaseUrl);
  await migrate(pool);
  kubeConfig = loadKubeConfig(testEnv.kubeconfig);
  core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  rbac = kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
  scheduling = kubeConfig.makeApiClient(k8s.SchedulingV1Api);
  ({ applyManifests } = createApplyActivities({ pool, kubeConfig }));
});

afterAll(async () => {
  for (const name of namespaces) await core?.deleteNamespace({ name }).catch(() => undefined);
  await rbac?.deleteClusterRoleBinding({ name: `pwn-${suffix}` }).catch(() => undefined);
  await scheduling?.deletePriorityClass({ name: `team-${suffix}` }).catch(() => undefined);
  await closePools();
});

describe('what one team may do to another', () => {
  it('refuses a cluster-admin ClusterRoleBinding and a ConfigMap in kube-system before applying anything', async () => {
    const teamB = await register({ project: `team-b-${suffix}`, environment: 'dev', namespace: `team-b-${suffix}` });
    const render = [
      configMap('harmless'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `pwn-${suffix}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: teamB.namespace }],
      },
      configMap(`pwn-${suffix}`, 'kube-system'),
    ];
    for (const forceConflicts of [false, true]) {
      const failure = await refusal(apply(teamB, render, { forceConflicts }), 'PolicyViolation');
      expect(failure.message).toContain(`ClusterRoleBinding pwn-${suffix}: cluster-wide rbac.authorization.k8s.io/ClusterRoleBinding needs allowClusterRbac`);
      expect(failure.message).toContain(`ConfigMap kube-system/pwn-${suffix}: namespace kube-system is not one project ${teamB.project} may deploy to`);
    }
    await expect(rbac.readClusterRoleBinding({ name: `pwn-${suffix}` })).rejects.toMatchObject({ code: 404 });
    await expect(core.readNamespacedConfigMap({ name: `pwn-${suffix}`, namespace: 'kube-system' })).rejects.toMatchObject({ code: 404 });
    // Nothing at all was applied, not even the harmless object or the namespace.
    await expect(core.readNamespace({ name: teamB.namespace })).rejects.toMatchObject({ code: 404 });
  });

  it("never takes over, nor prunes, another project's Deployment or a hand-made ConfigMap, across deploy, drift and prune", async () => {
    const victim = await register({ project: `victim-${suffix}`, environment: 'prod', namespace: `victim-${suffix}` });
    const thief = await register({ project: `thief-${suffix}`, environment: 'prod', namespace: `thief-${suffix}` });
    await apply(victim, [deployment('web', undefined, 'registry.example/victim:1')]);
    await core.createNamespacedConfigMap({ namespace: victim.namespace, body: { metadata: { name: 'hand-made' }, data: { note: 'kubectl' } } });
    const before = {
      web: (await apps.readNamespacedDeployment({ name: 'web', namespace: victim.namespace })).metadata?.resourceVersion,
      handMade: (await core.readNamespacedConfigMap({ name: 'hand-made', namespace: victim.namespace })).metadata?.resourceVersion,
    };

    const stolen = [configMap('own'), deployment('web', victim.namespace, 'registry.example/thief:1')];
    // A deploy, then a drift pass (which forces conflicts), are both refused by the policy...
    for (const forceConflicts of [false, true]) {
      const failure = await refusal(apply(thief, stolen, { forceConflicts }), 'PolicyViolation');
      expect(failure.message).toContain(`Deployment ${victim.namespace}/web: namespace ${victim.namespace} is not one project ${thief.project} may deploy to`);
    }
    // ...and so they are when an admin lets the thief's project name that namespace: it is claimed.
    await saveProjectPolicy(pool, thief.project, { allowedNamespaces: [thief.namespace, victim.namespace] });
    const claimed = await refusal(apply(thief, stolen, { forceConflicts: true }), 'PolicyViolation');
    expect(claimed.message).toContain(`Deployment ${victim.namespace}/web: namespace ${victim.namespace} belongs to project ${victim.project}`);
    // The thief's repo drops the object; its next pass prunes only what it created itself.
    const pruned = await apply(thief, [configMap('own')], { forceConflicts: true });
    expect(pruned.changes.filter((c) => c.action === 'pruned')).toEqual([]);

    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: victim.namespace })).metadata?.resourceVersion).toBe(before.web);
    expect((await core.readNamespacedConfigMap({ name: 'hand-made', namespace: victim.namespace })).metadata?.resourceVersion).toBe(before.handMade);
  });

  it('applies a cluster-scoped kind the policy allows, and refuses it where it does not', async () => {
    const team = await register({ project: `team-p-${suffix}`, environment: 'dev', namespace: `team-p-${suffix}` });
    const priorityClass = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: `team-${suffix}` }, value: 1000 };
    await refusal(apply(team, [priorityClass]), 'PolicyViolation');
    await saveProjectPolicy(pool, team.project, { allowedClusterKinds: ['scheduling.k8s.io/PriorityClass'] });
    const applied = await apply(team, [priorityClass]);
    expect(applied.changes).toContainEqual({ ref: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', name: `team-${suffix}` }, action: 'created' });
    expect((await scheduling.readPriorityClass({ name: `team-${suffix}` })).value).toBe(1000);
  });
});

describe('environments of one project sharing a namespace', () => {
  it('each prunes only its own objects, and neither can take the other’s, forced or not', async () => {
    const namespace = `shared-${suffix}`;
    const one = await register({ project: `shared-${suffix}`, environment: 'one', namespace });
    const two = await register({ project: `shared-${suffix}`, environment: 'two', namespace }, { shareNamespace: true });
    await apply(one, [configMap('one-a'), configMap('one-b')]);
    await apply(two, [configMap('two-a'), configMap('two-b')]);

    for (const forceConflicts of [false, true]) {
      const failure = await refusal(apply(two, [configMap('two-a'), configMap('two-b'), configMap('one-a', undefined, { a: 'two' })], { forceConflicts }), 'ObjectNotOwned');
      expect(failure.message).toContain(`ConfigMap ${namespace}/one-a was not applied: it belongs to deployer environment ${one.project}/one`);
    }
    // A hand-made object wearing environment two's labels is still not two's to delete.
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'forged', labels: { 'app.kubernetes.io/managed-by': 'deployer', 'deployer.dev/environment': `${two.project}.two` } } },
    });

    const oneDropped = await apply(one, [configMap('one-a')]);
    expect(oneDropped.changes.filter((c) => c.action === 'pruned').map((c) => c.ref.name)).toEqual(['one-b']);
    const twoDropped = await apply(two, [configMap('two-b')]);
    expect(twoDropped.changes.filter((c) => c.action === 'pruned').map((c) => c.ref.name)).toEqual(['two-a']);

    const left = (await core.listNamespacedConfigMap({ namespace })).items
      .filter((cm) => !cm.metadata?.deletionTimestamp && !cm.metadata?.name?.startsWith('deployer-inventory') && cm.metadata?.name !== 'kube-root-ca.crt')
      .map((cm) => cm.metadata?.name)
      .sort();
    expect(left).toEqual(['forged', 'one-a', 'two-b']);
    expect((await core.readNamespacedConfigMap({ name: 'one-a', namespace })).data).toEqual({ a: '1' });
  });

  it('adopts an object only when its owner hands it over with the adoption annotation', async () => {
    const namespace = `shared-${suffix}`;
    const two = { project: `shared-${suffix}`, environment: 'two', namespace };
    await core.patchNamespacedConfigMap(
      { name: 'one-a', namespace, body: { metadata: { annotations: { 'deployer.dev/adopt-by': `${two.project}/two` } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const adopted = await apply(two, [configMap('two-b'), configMap('one-a', undefined, { a: 'two' })]);
    expect(adopted.changes).toContainEqual({ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'one-a', namespace }, action: 'configured' });
    const live = await core.readNamespacedConfigMap({ name: 'one-a', namespace });
    expect(live.data).toEqual({ a: 'two' });
    expect(live.metadata?.annotations?.['deployer.dev/owner']).toBe(`${two.project}/two`);
    // Its previous owner can no longer write it.
    const one = { project: `shared-${suffix}`, environment: 'one', namespace };
    await refusal(apply(one, [configMap('one-a')]), 'ObjectNotOwned');
  });
});

describe('objects applied before each environment had its own field manager', () => {
  it('move to the environment’s manager and owner annotation on the next apply; other environments’ stay refused', async () => {
    const env = await register({ project: `legacy-${suffix}`, environment: 'prod', namespace: `legacy-${suffix}` });
    await core.createNamespace({ body: { metadata: { name: env.namespace } } });
    const legacyApply = (name: string, environmentLabel: string) =>
      core.patchNamespacedConfigMap(
        {
          name,
          namespace: env.namespace,
          fieldManager: 'deployer',
          force: true,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'deployer', 'deployer.dev/environment': environmentLabel } },
            data: { a: '1' },
          },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
      );
    await legacyApply('mine', `${env.project}.prod`);
    await legacyApply('theirs', `${env.project}.other`);

    const result = await apply(env, [configMap('mine', undefined, { a: '2' })]);
    expect(result.changes).toContainEqual({ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'mine', namespace: env.namespace }, action: 'configured' });
    const mine = await core.readNamespacedConfigMap({ name: 'mine', namespace: env.namespace });
    expect(mine.data).toEqual({ a: '2' });
    expect(mine.metadata?.annotations?.['deployer.dev/owner']).toBe(`${env.project}/prod`);
    expect(mine.metadata?.managedFields?.filter((f) => f.operation === 'Apply').map((f) => f.manager)).toEqual([`deployer/${env.project}/prod`]);

    const failure = await refusal(apply(env, [configMap('mine', undefined, { a: '2' }), configMap('theirs')], { forceConflicts: true }), 'ObjectNotOwned');
    expect(failure.message).toContain(`label ${env.project}.other`);
  });
});

describe('applying as the environment’s service account', () => {
  it('deploys where its Role allows and gets a clear Forbidden anywhere else', async () => {
    const project = `team-sa-${suffix}`;
    const home = await register({ project, environment: 'dev', namespace: `team-sa-${suffix}` });
    const elsewhere = `team-sa-other-${suffix}`;
    await register({ project, environment: 'other', namespace: elsewhere });
    await saveProjectPolicy(pool, project, { allowedNamespaces: [home.namespace, elsewhere] });
    for (const name of [home.namespace, elsewhere]) await core.createNamespace({ body: { metadata: { name } } });
    const impersonate = await createNamespaceIdentity(kubeConfig, home.namespace, 'deployer', [{ apiGroups: ['', 'apps'], resources: ['*'], verbs: ['*'] }]);

    const applied = await apply(home, [configMap('app'), deployment('web', undefined, 'registry.example/team:1')], { impersonate });
    expect(applied.changes.map((c) => `${c.ref.kind}/${c.ref.name}:${c.action}`).sort()).toEqual(['ConfigMap/app:created', 'Deployment/web:created']);
    const live = await apps.readNamespacedDeployment({ name: 'web', namespace: home.namespace });
    expect(live.metadata?.managedFields?.map((f) => f.manager)).toContain(`deployer/${project}/dev`);

    const forbidden = await refusal(apply(home, [configMap('app'), configMap('reach', elsewhere)], { impersonate }), 'Forbidden');
    expect(forbidden.message).toContain(`ConfigMap ${elsewhere}/reach: Forbidden:`);
    expect(forbidden.message).toContain(`User "system:serviceaccount:${home.namespace}:deployer" cannot get resource "configmaps" in API group "" in the namespace "${elsewhere}"`);
    await expect(core.readNamespacedConfigMap({ name: 'reach', namespace: elsewhere })).rejects.toMatchObject({ code: 404 });
  });
});
