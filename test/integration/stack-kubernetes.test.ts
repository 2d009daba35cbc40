import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { testEnv, uniqueSuffix } from '../support/env.js';

function deployment(name: string, namespace: string, extra: { nodeSelector?: Record<string, string>; progressDeadlineSeconds?: number } = {}): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: extra.progressDeadlineSeconds,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: extra.nodeSelector,
          containers: [{ name: 'web', image: 'registry.example/web:1.0.0' }],
        },
      },
    },
  };
}

describe('the Kubernetes control plane of the stack', () => {
  const namespace = `smoke-${uniqueSuffix()}`;
  let objects: k8s.KubernetesObjectApi;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;

  const serverSideApply = <T extends k8s.KubernetesObject>(object: T) =>
    objects.patch(object, undefined, undefined, 'deployer-smoke', true, k8s.PatchStrategy.ServerSideApply);

  beforeAll(async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(testEnv.kubeconfig);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });
  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('rolls a server-side-applied Deployment out until it is Available with Ready pods on a node', async () => {
    await serverSideApply(deployment('web', namespace));

    const available = await waitFor('deployment web to become Available', async () => {
      const current = await apps.readNamespacedDeployment({ name: 'web', namespace });
      const condition = current.status?.conditions?.find((c) => c.type === 'Available');
      return condition?.status === 'True' && current.status?.readyReplicas === 2 ? current : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    expect(available.status?.updatedReplicas).toBe(2);
    expect(available.metadata?.managedFields?.some((f) => f.manager === 'deployer-smoke' && f.operation === 'Apply')).toBe(true);

    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe('kwok-node-0');
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const replicaSets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    expect(replicaSets.items).toHaveLength(1);
  });

  it('reports ProgressDeadlineExceeded for a Deployment whose pods cannot be scheduled', async () => {
    await serverSideApply(
      deployment('stuck', namespace, { nodeSelector: { 'deployer.test/no-such-node': 'true' }, progressDeadlineSeconds: 5 }),
    );

    const progressing = await waitFor('deployment stuck to exceed its progress deadline', async () => {
      const current = await apps.readNamespacedDeployment({ name: 'stuck', namespace });
      const condition = current.status?.conditions?.find((c) => c.type === 'Progressing');
      return condition?.reason === 'ProgressDeadlineExceeded' ? condition : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(progressing.status).toBe('False');

    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=stuck' });
    expect(pods.items.length).toBeGreaterThan(0);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Pending');
      expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason).toBe('Unschedulable');
    }
  });
});
