// The wait for a rollout watches the workload between reads, so a status change is seen when it
// happens; an identity that may read but not watch still gets its rollout waited for, by reading.
import * as k8s from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthActivities } from '../../activities/health.js';
import type { WaitForRolloutResult } from '../../activities/types.js';
import { KubeApiError, KubeClient, resourceUrlPath } from '../../src/k8s/client.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { createNamespaceIdentity } from '../support/namespace-identity.js';

const namespace = `rollout-watch-${uniqueSuffix()}`;
const deployments = resourceUrlPath({ group: 'apps', version: 'v1', resource: 'deployments', namespace });
let kubeConfig: k8s.KubeConfig;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;

const deployment = (image: string): k8s.V1Deployment => ({
  metadata: { name: 'web' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
  },
});

const versionOfWeb = async () => (await apps.readNamespacedDeployment({ name: 'web', namespace })).metadata!.resourceVersion!;

beforeAll(async () => {
  kubeConfig = loadKubeConfig(testEnv.kubeconfig);
  apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await apps.createNamespacedDeployment({ namespace, body: deployment('registry.example/watch/web:1') });
  // An identity that may read Deployments but not watch them.
  await createNamespaceIdentity(kubeConfig, namespace, 'reader', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }]);
});

afterAll(async () => {
  await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('waiting for a rollout', () => {
  it('learns of a change to one workload from a watch, and of none when nothing changes', async () => {
    const client = new KubeClient(kubeConfig);
    const since = await versionOfWeb();
    const changed = client.changedSince(deployments, { fieldSelector: 'metadata.name=web' }, since, 30_000);
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { metadata: { labels: { touched: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(changed).resolves.toBe(true);

    // Another object in the namespace changing is not a change to this one.
    await apps.createNamespacedDeployment({ namespace, body: { ...deployment('registry.example/watch/other:1'), metadata: { name: 'other' } } });
    const later = await versionOfWeb();
    const quiet = client.changedSince(deployments, { fieldSelector: 'metadata.name=web' }, later, 1_500);
    await apps.patchNamespacedDeployment(
      { name: 'other', namespace, body: { metadata: { labels: { touched: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(quiet).resolves.toBe(false);
  });

  it('an identity that may not watch is refused the watch, and its rollout is still waited for by reading', async () => {
    const reader = { user: `system:serviceaccount:${namespace}:reader` };
    await expect(new KubeClient(kubeConfig, undefined, 30_000, reader).changedSince(deployments, { fieldSelector: 'metadata.name=web' }, await versionOfWeb(), 5_000)).rejects.toSatisfy(
      (error: unknown) => error instanceof KubeApiError && error.code === 403,
    );

    await apps.replaceNamespacedDeployment({ name: 'web', namespace, body: deployment('registry.example/watch/web:2') });
    const { waitForRollout } = createHealthActivities({ kubeConfig });
    const result = (await new MockActivityEnvironment().run(waitForRollout, {
      namespace,
      objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace }],
      timeoutMs: 60_000,
      impersonate: reader,
    })) as WaitForRolloutResult;
    expect(result.workloads).toEqual([expect.objectContaining({ done: true, desired: 1, updated: 1, available: 1 })]);
    const live = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(live.spec?.template.spec?.containers[0]?.image).toBe('registry.example/watch/web:2');
  });
});
