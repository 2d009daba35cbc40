// The apply, health and scale activities against the stack's real API server (kwok plays the
// node: pods are scheduled and become Ready, no container runs). Each activity runs in a
// MockActivityEnvironment so heartbeats and cancellation behave as under a worker.
//
// The tests of one describe block build on each other, as deployments of one environment do.
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createApplyActivities } from '../../activities/apply.js';
import { createHealthActivities } from '../../activities/health.js';
import { createScaleActivities } from '../../activities/scale.js';
import type { ApplyInput, ApplyResult, ObjectRef, RolloutProgress } from '../../activities/types.js';
import { storeRenderedManifest } from '../../src/db/manifests.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { saveProjectPolicy } from '../../src/db/tenancy.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { toTemporalFailure } from '../../src/observability/domain-failures-interceptor.js';

const suffix = uniqueSuffix();
const project = `shop-${suffix}`;
const fieldManager = `deployer/${project}/it-${suffix}`;
const environment = `it-${suffix}`;
const namespace = `ahs-${suffix}`;
const crdGroup = `${suffix}.deployer.test`;

let pool: pg.Pool;
let kubeConfig: k8s.KubeConfig;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;
let extensions: k8s.ApiextensionsV1Api;
let customObjects: k8s.CustomObjectsApi;
let activities: ReturnType<typeof createApplyActivities> & ReturnType<typeof createHealthActivities> & ReturnType<typeof createScaleActivities>;

// --- manifests --------------------------------------------------------------------------------

interface WebOptions {
  image?: string;
  replicas?: number;
  withConfigMap?: boolean;
}

function webObjects({ image = 'registry.example/web:1.0.0', replicas = 2, withConfigMap = true }: WebOptions = {}): object[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 1,
        serviceName: 'web',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.example/db:16' }] } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    ...(withConfigMap ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { LOG_LEVEL: 'info' } }] : []),
  ];
}

function crdObjects(): object[] {
  return [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${crdGroup}` },
      spec: {
        group: crdGroup,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    },
    { apiVersion: `${crdGroup}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
  ];
}

const toYaml = (objects: object[]) => objects.map((o) => YAML.stringify(o)).join('---\n');

// --- running activities -----------------------------------------------------------------------

/** Runs an activity in a mock activity context (heartbeats and cancellation work), keeping its types. */
function run<I, O>(fn: (input: I) => Promise<O>, input: I, env = new MockActivityEnvironment()): Promise<O> {
  return env.run(fn, input) as Promise<O>;
}

function applyInput(manifestHash: string, overrides: Partial<ApplyInput> = {}): ApplyInput {
  return { project, environment, namespace, manifestHash, forceConflicts: false, omitReplicas: false, ...overrides };
}

async function apply(objects: object[], overrides: Partial<ApplyInput> = {}): Promise<ApplyResult> {
  const hash = await storeRenderedManifest(pool, toYaml(objects));
  return run(activities.applyManifests, applyInput(hash, overrides));
}

/** `Kind/name → action`, the shape assertions read best in. */
function actions(result: ApplyResult): Record<string, string> {
  return Object.fromEntries(result.changes.map((c) => [`${c.ref.kind}/${c.ref.name}`, c.action]));
}

const appliedRefs = (result: ApplyResult): ObjectRef[] => result.changes.filter((c) => c.action !== 'pruned').map((c) => c.ref);

async function expectFailure(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  // What the worker's interceptor makes of a DeployerError from below the activities.
  const failure = toTemporalFailure(error) as ApplicationFailure;
  expect(failure, `expected a ${type} failure`).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  return failure;
}

const readWeb = () => apps.readNamespacedDeployment({ name: 'web', namespace });

// --- set-up -----------------------------------------------------------------------------------

beforeAll(async () => {
  pool = getPool(testEnv.databaseUrl);
  await migrate(pool);
  // The CRD test applies a cluster-wide kind: the project's policy must allow it.
  await saveProjectPolicy(pool, project, { allowClusterRbac: true, allowedClusterKinds: ['apiextensions.k8s.io/CustomResourceDefinition'] });
  kubeConfig = loadKubeConfig(testEnv.kubeconfig);
  apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  extensions = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  customObjects = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  activities = {
    ...createApplyActivities({ pool, kubeConfig }),
    ...createHealthActivities({ kubeConfig }),
    ...createScaleActivities({ kubeConfig }),
  };
});

afterAll(async () => {
  await extensions?.deleteCustomResourceDefinition({ name: `widgets.${crdGroup}` }).catch(() => undefined);
  for (const name of [namespace, `${namespace}-stuck`]) await core?.deleteNamespace({ name }).catch(() => undefined);
  await closePools();
});

// --- tests ------------------------------------------------------------------------------------

describe('applying an environment and waiting for its rollout', () => {
  it('previews a first deployment as a dry run: everything would be created, nothing is', async () => {
    const preview = await apply(webObjects(), { dryRun: true });
    expect(new Set(Object.values(actions(preview)))).toEqual(new Set(['created']));
    expect(preview.changes).toHaveLength(5);
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  });

  it('creates every object, labelled, and the workloads roll out with heartbeats on the way', async () => {
    const firstApply = await apply(webObjects());

    expect(actions(firstApply)).toEqual({
      [`Namespace/${namespace}`]: 'created',
      'ConfigMap/web-config': 'created',
      'Service/web': 'created',
      'Deployment/web': 'created',
      'StatefulSet/db': 'created',
    });
    expect(firstApply.changed).toBe(true);
    // A real apply's field changes go back only when asked (the workflow never asks).
    expect(firstApply.changes.filter((c) => c.diff !== undefined)).toEqual([]);
    const live = await readWeb();
    expect(live.metadata?.labels).toMatchObject({ app: 'web', 'app.kubernetes.io/managed-by': 'deployer', 'deployer.dev/environment': `${project}.${environment}` });
    expect(live.spec?.template.metadata?.labels).toEqual({ app: 'web' });
    expect(live.metadata?.managedFields?.some((f) => f.manager === fieldManager && f.operation === 'Apply')).toBe(true);
    expect(live.metadata?.annotations?.['deployer.dev/owner']).toBe(`${project}/${environment}`);

    const env = new MockActivityEnvironment();
    const heartbeats: Array<{ workloads: RolloutProgress[] }> = [];
    env.on('heartbeat', (details: { workloads: RolloutProgress[] }) => heartbeats.push(details));
    const rollout = await run(activities.waitForRollout, { namespace, objects: appliedRefs(firstApply), timeoutMs: 60_000 }, env);

    expect(rollout.workloads.map((w) => `${w.ref.kind}/${w.ref.name}`)).toEqual(['Deployment/web', 'StatefulSet/db']);
    expect(rollout.workloads.find((w) => w.ref.kind === 'Deployment')).toMatchObject({ done: true, desired: 2, updated: 2, ready: 2, available: 2 });
    expect(rollout.workloads.find((w) => w.ref.kind === 'StatefulSet')).toMatchObject({ done: true, desired: 1, ready: 1 });
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(heartbeats.at(-1)?.workloads).toHaveLength(2);
  });

  it('changes nothing when the same render is applied again, and a dry run sees no drift', async () => {
    const again = await apply(webObjects());
    expect(again.changed).toBe(false);
    expect(new Set(again.changes.map((c) => c.action))).toEqual(new Set(['unchanged']));
    expect(again.changes).toHaveLength(5);

    // Server-defaulted fields (strategy, imagePullPolicy, protocol…) must not look like drift.
    const dryRun = await apply(webObjects(), { dryRun: true });
    expect(dryRun.changed).toBe(false);
    expect(new Set(dryRun.changes.map((c) => c.action))).toEqual(new Set(['unchanged']));
  });

  it('configures only the Deployment for a new image, and the rollout replaces every old pod', async () => {
    const before = await readWeb();
    // The dry run first: the Deployment alone, with the one field that changes, nothing pruned.
    const preview = await apply(webObjects({ image: 'registry.example/web:1.1.0' }), { dryRun: true });
    expect(preview.changes.filter((c) => c.action !== 'unchanged')).toEqual([
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace },
        action: 'configured',
        diff: [{ path: 'spec.template.spec.containers[name=web].image', before: 'registry.example/web:1.0.0', after: 'registry.example/web:1.1.0' }],
      },
    ]);
    expect((await readWeb()).metadata?.generation).toBe(before.metadata?.generation);
    // Asked for, the real apply's field changes are the dry run's.
    const result = await apply(webObjects({ image: 'registry.example/web:1.1.0' }), { withDiff: true });
    expect(actions(result)).toMatchObject({ 'Deployment/web': 'configured', 'StatefulSet/db': 'unchanged', 'Service/web': 'unchanged', 'ConfigMap/web-config': 'unchanged' });
    expect(result.changed).toBe(true);
    expect(result.changes.filter((c) => c.action !== 'unchanged')).toEqual(preview.changes.filter((c) => c.action !== 'unchanged'));
    const after = await readWeb();
    expect(Number(after.metadata?.generation)).toBe(Number(before.metadata?.generation) + 1);

    const rollout = await run(activities.waitForRollout, { namespace, objects: appliedRefs(result), timeoutMs: 60_000 });
    expect(rollout.workloads.every((w) => w.done)).toBe(true);

    const replicaSets = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' })).items;
    const current = replicaSets.filter((rs) => rs.spec?.template?.spec?.containers[0]?.image === 'registry.example/web:1.1.0');
    const old = replicaSets.filter((rs) => !current.includes(rs));
    expect(current).toHaveLength(1);
    expect(current[0]?.status?.readyReplicas).toBe(2);
    expect(old.length).toBeGreaterThan(0);
    for (const rs of old) expect(rs.status?.replicas).toBe(0);
    const running = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(running.map((p) => p.spec?.containers[0]?.image)).toEqual(['registry.example/web:1.1.0', 'registry.example/web:1.1.0']);
  });

  it('prunes what the render dropped, but never an unlabelled object or another environment’s', async () => {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'hand-made' }, data: { note: 'made with kubectl' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'other-env', labels: { 'app.kubernetes.io/managed-by': 'deployer', 'deployer.dev/environment': `${project}.other-${suffix}` } },
      },
    });

    const preview = await apply(webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false }), { dryRun: true });
    expect(actions(preview)).toMatchObject({ 'ConfigMap/web-config': 'pruned' });
    expect(preview.changed).toBe(true);
    await expect(core.readNamespacedConfigMap({ name: 'web-config', namespace })).resolves.toBeDefined();

    const result = await apply(webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false }));
    expect(result.changes.filter((c) => c.action === 'pruned')).toEqual([
      { ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config', namespace }, action: 'pruned' },
    ]);
    expect(result.changed).toBe(true);
    await waitFor('web-config to be deleted', async () => {
      const names = (await core.listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata?.name);
      return !names.includes('web-config') ? names : undefined;
    });
    const names = (await core.listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['hand-made', 'other-env']));
  });

  it('refuses to take over an object another environment manages, forced or not', async () => {
    const clash = [...webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false }), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-env' } }];
    for (const forceConflicts of [false, true]) {
      const failure = await expectFailure(apply(clash, { forceConflicts }), 'ObjectNotOwned');
      expect(failure.message).toContain(`ConfigMap ${namespace}/other-env was not applied: it belongs to another deployer environment (label ${project}.other-${suffix})`);
    }
    const other = await core.readNamespacedConfigMap({ name: 'other-env', namespace });
    expect(other.metadata?.labels?.['deployer.dev/environment']).toBe(`${project}.other-${suffix}`);
  });

  it('applies a CRD and a custom resource of it from one manifest, and prunes both when dropped', async () => {
    const objects = [...webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false }), ...crdObjects()];

    // A dry run creates no CRD, yet knows from the render that the Widget would be created.
    const preview = await apply(objects, { dryRun: true });
    expect(actions(preview)).toMatchObject({ [`CustomResourceDefinition/widgets.${crdGroup}`]: 'created', 'Widget/w1': 'created' });
    await expect(extensions.readCustomResourceDefinition({ name: `widgets.${crdGroup}` })).rejects.toMatchObject({ code: 404 });

    const result = await apply(objects);
    expect(actions(result)).toMatchObject({ [`CustomResourceDefinition/widgets.${crdGroup}`]: 'created', 'Widget/w1': 'created' });
    expect(result.changes.find((c) => c.ref.kind === 'Widget')?.ref.namespace).toBe(namespace);
    const widget = (await customObjects.getNamespacedCustomObject({ group: crdGroup, version: 'v1', namespace, plural: 'widgets', name: 'w1' })) as {
      metadata: { labels: Record<string, string> };
      spec: { size: number };
    };
    expect(widget.spec.size).toBe(3);
    expect(widget.metadata.labels['deployer.dev/environment']).toBe(`${project}.${environment}`);

    // Neither kind is in the label scan; the inventory of the last apply is what finds them.
    const dropped = await apply(webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false }));
    expect(dropped.changes.filter((c) => c.action === 'pruned').map((c) => c.ref.kind)).toEqual(['Widget', 'CustomResourceDefinition']);
    await waitFor('the CRD to be deleted', () =>
      extensions.readCustomResourceDefinition({ name: `widgets.${crdGroup}` }).then(
        () => false,
        (e: { code?: number }) => e.code === 404,
      ),
    );
  });

  it('reports an edit by another field manager as drift, refuses to overwrite it unforced, and restores it forced', async () => {
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        fieldManager: 'kubectl-edit',
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/web:hotfix' }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const objects = webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false });

    for (const forceConflicts of [false, true]) {
      const drift = await apply(objects, { dryRun: true, forceConflicts });
      expect(actions(drift)).toMatchObject({ 'Deployment/web': 'configured', 'Service/web': 'unchanged', 'StatefulSet/db': 'unchanged' });
      expect(drift.changed).toBe(true);
    }
    expect((await readWeb()).spec?.template.spec?.containers[0]?.image).toBe('registry.example/web:hotfix');

    const conflict = await expectFailure(apply(objects), 'FieldConflict');
    expect(conflict.message).toContain('"kubectl-edit"');
    expect(conflict.message).toContain('.spec.template.spec.containers[name="web"].image');
    expect(conflict.message).toContain(`Deployment ${namespace}/web`);
    expect(conflict.details?.[0]).toMatchObject({ managers: ['kubectl-edit'] });

    const forced = await apply(objects, { forceConflicts: true });
    expect(actions(forced)).toMatchObject({ 'Deployment/web': 'configured' });
    expect((await readWeb()).spec?.template.spec?.containers[0]?.image).toBe('registry.example/web:1.1.0');
    const again = await apply(objects);
    expect(again.changed).toBe(false);
  });

  it('stops the environment to zero replicas, keeps the first count on a second stop, and resumes', async () => {
    const scaleInput = { project, environment, namespace };
    const stopped = await run(activities.scaleWorkloads, { ...scaleInput, action: 'stop' as const });
    expect(stopped.scaled.map(({ ref, from, to }) => ({ kind: ref.kind, name: ref.name, from, to }))).toEqual([
      { kind: 'Deployment', name: 'web', from: 2, to: 0 },
      { kind: 'StatefulSet', name: 'db', from: 1, to: 0 },
    ]);
    let web = await readWeb();
    expect(web.spec?.replicas).toBe(0);
    expect(web.metadata?.annotations?.['deployer.dev/replicas-before-stop']).toBe('2');
    const db = await apps.readNamespacedStatefulSet({ name: 'db', namespace });
    expect(db.spec?.replicas).toBe(0);
    expect(db.metadata?.annotations?.['deployer.dev/replicas-before-stop']).toBe('1');
    await waitFor('the web pods to go away', async () => {
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
      return pods.length === 0;
    });

    const stoppedAgain = await run(activities.scaleWorkloads, { ...scaleInput, action: 'stop' as const });
    expect(stoppedAgain.scaled).toEqual([]);
    expect((await readWeb()).metadata?.annotations?.['deployer.dev/replicas-before-stop']).toBe('2');

    const resumed = await run(activities.scaleWorkloads, { ...scaleInput, action: 'resume' as const });
    expect(resumed.scaled.map(({ ref, from, to }) => `${ref.kind}/${ref.name} ${from}→${to}`)).toEqual(['Deployment/web 0→2', 'StatefulSet/db 0→1']);
    web = await readWeb();
    expect(web.spec?.replicas).toBe(2);
    expect(web.metadata?.annotations ?? {}).not.toHaveProperty('deployer.dev/replicas-before-stop');
    expect(web.metadata?.managedFields?.map((f) => f.manager)).not.toContain('deployer-scale');
    const rollout = await run(activities.waitForRollout, {
      namespace,
      objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }],
      timeoutMs: 60_000,
    });
    expect(rollout.workloads[0]).toMatchObject({ done: true, available: 2 });

    // The stop leaves no owner of spec.replicas behind to conflict with the next apply's count.
    const scaledUp = await apply(webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false, replicas: 3 }));
    expect(actions(scaledUp)).toMatchObject({ 'Deployment/web': 'configured' });
    expect((await readWeb()).spec?.replicas).toBe(3);
  });

  it('leaves spec.replicas to the autoscaler when the environment gets one, without resetting the count', async () => {
    const objects = webObjects({ image: 'registry.example/web:1.1.0', withConfigMap: false, replicas: 3 });
    const handedOver = await apply(objects, { omitReplicas: true });
    // Only the ownership of spec.replicas moved; no value the deployer applies changed.
    expect(handedOver.changed).toBe(false);
    let web = await readWeb();
    // Not defaulted back to 1 although the deployer stopped applying the field.
    expect(web.spec?.replicas).toBe(3);
    const applied = web.metadata?.managedFields?.find((f) => f.manager === fieldManager && f.operation === 'Apply');
    expect(applied).toBeDefined();
    expect(JSON.stringify(applied?.fieldsV1)).not.toContain('f:replicas');

    // What an HPA does: scale through the scale subresource under its own field manager.
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace, fieldManager: 'horizontal-pod-autoscaler', body: { spec: { replicas: 5 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const again = await apply(objects, { omitReplicas: true });
    expect(again.changed).toBe(false);
    web = await readWeb();
    expect(web.spec?.replicas).toBe(5);
  });

  it('rejects an unknown field as InvalidManifest instead of silently dropping it', async () => {
    const [namespaceObject, deployment] = webObjects() as [object, { spec: Record<string, unknown> }];
    const typo = { ...deployment, spec: { ...deployment.spec, replica: 4 } };
    const failure = await expectFailure(apply([namespaceObject, typo]), 'InvalidManifest');
    expect(failure.message).toContain(`Deployment ${namespace}/web was rejected by the API server`);
    expect(failure.message).toContain('.spec.replica: field not declared in schema');
    // Nothing of the typo reached the live object.
    expect((await readWeb()).spec?.replicas).toBe(5);
  });

  it('fails with UnknownKind, naming the object, for a kind the cluster does not serve', async () => {
    const failure = await expectFailure(
      apply([{ apiVersion: 'gadgets.example.invalid/v1', kind: 'Gadget', metadata: { name: 'g1' } }]),
      'UnknownKind',
    );
    expect(failure.message).toContain('Gadget g1');
    expect(failure.message).toContain('gadgets.example.invalid/v1');
  });
});

describe('waiting for a rollout that cannot finish', () => {
  const stuckNamespace = `${namespace}-stuck`;
  const stuckEnvironment = `stuck-${suffix}`;

  function unschedulable(name: string, progressDeadlineSeconds?: number): object {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        progressDeadlineSeconds,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { nodeSelector: { 'deployer.test/no-such-node': 'true' }, containers: [{ name, image: 'registry.example/web:1.0.0' }] },
        },
      },
    };
  }

  let refs: ObjectRef[];

  beforeAll(async () => {
    const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: stuckNamespace } }, unschedulable('stuck', 5), unschedulable('pending')];
    const hash = await storeRenderedManifest(pool, toYaml(objects));
    const result = await run(activities.applyManifests, {
      project,
      environment: stuckEnvironment,
      namespace: stuckNamespace,
      manifestHash: hash,
      forceConflicts: false,
      omitReplicas: false,
    });
    refs = appliedRefs(result);
  });

  it('fails fast with RolloutFailed when the progress deadline is exceeded', async () => {
    const failure = await expectFailure(
      run(activities.waitForRollout, {
        namespace: stuckNamespace,
        objects: refs.filter((r) => r.name !== 'pending'),
        timeoutMs: 60_000,
      }),
      'RolloutFailed',
    );
    expect(failure.message).toMatch(new RegExp(`^Deployment ${stuckNamespace}/stuck: ProgressDeadlineExceeded — ReplicaSet "stuck-[a-z0-9]+" has timed out progressing`));
  });

  it('fails with RolloutTimeout, naming what it waited for, when the deadline passes', async () => {
    const failure = await expectFailure(
      run(activities.waitForRollout, {
        namespace: stuckNamespace,
        objects: refs.filter((r) => r.name === 'pending'),
        timeoutMs: 1_500,
      }),
      'RolloutTimeout',
    );
    expect(failure.message).toMatch(new RegExp(`^rollout not finished after 1.5 s: Deployment ${stuckNamespace}/pending: `));
  });

  it('stops waiting promptly when the activity is cancelled', async () => {
    const env = new MockActivityEnvironment();
    let cancelledAt = 0;
    env.once('heartbeat', () => {
      cancelledAt = Date.now();
      env.cancel();
    });
    const error = await run(activities.waitForRollout, { namespace: stuckNamespace, objects: refs.filter((r) => r.name === 'pending'), timeoutMs: 60_000 }, env)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const latencyMs = Date.now() - cancelledAt;
    expect(error).toBeInstanceOf(CancelledFailure);
    expect(cancelledAt).toBeGreaterThan(0);
    // The poll interval is a second; cancellation must not wait for it.
    expect(latencyMs).toBeLessThan(500);
  });
});
