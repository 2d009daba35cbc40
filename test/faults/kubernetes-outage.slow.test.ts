// The API server goes away while a rollout is being waited for: the wait keeps heartbeating and
// carries on when it is back (a restart is not a failed release), and fails as
// KubernetesUnavailable, naming since when, only once the rollout deadline has passed.
import * as k8s from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthActivities, type RolloutHeartbeat } from '../../activities/health.js';
import type { WaitForRolloutResult } from '../../activities/types.js';
import { upKubernetes } from '../../scripts/stack/kubernetes.js';
import { runningPid, stopProcess } from '../../scripts/stack/processes.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { failureOf } from '../support/failures.js';
import { testEnv, uniqueSuffix } from '../support/env.js';

describe('an API server outage during the wait for health', () => {
  const namespace = `k8s-outage-${uniqueSuffix()}`;
  let kubeConfig: k8s.KubeConfig;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;

  // Killed, as a crash or a node loss would: no graceful shutdown.
  const stopApiServer = () => stopProcess('kube-apiserver', 'kube-apiserver', { signal: 'SIGKILL' });
  const startApiServer = () => upKubernetes();

  beforeAll(async () => {
    if (runningPid('kube-apiserver', 'kube-apiserver') === undefined) throw new Error("the API server outage test needs the stack's own control plane (npm test starts it)");
    kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 600,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
          },
        },
      },
    });
  });
  afterAll(async () => {
    // The API server's clients (controllers, scheduler, kwok) back off for up to a minute after
    // losing it; fresh ones connect at once, so the test files after this one find a cluster
    // that rolls out as quickly as before.
    for (const name of ['kwok', 'kube-scheduler', 'kube-controller-manager'] as const) await stopProcess(name, name);
    await startApiServer();
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    // And it does: a probe Deployment becomes available again.
    const probe = `probe-${uniqueSuffix()}`;
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: probe },
        spec: { replicas: 1, selector: { matchLabels: { app: probe } }, template: { metadata: { labels: { app: probe } }, spec: { containers: [{ name: 'p', image: 'registry.example/p:1' }] } } },
      },
    });
    await waitFor('the control plane to roll out again', async () => (await apps.readNamespacedDeployment({ name: probe, namespace: 'default' })).status?.availableReplicas === 1, { timeoutMs: 120_000 });
    await apps.deleteNamespacedDeployment({ name: probe, namespace: 'default' });
  });

  it('waits through a restart, heartbeating, and carries on when the server is back', async () => {
    // Rolled out before the outage: the wait itself depends only on the API server answering,
    // not on controllers catching up after it.
    const { waitForRollout } = createHealthActivities({ kubeConfig });
    const objects = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace }];
    await new MockActivityEnvironment().run(waitForRollout, { namespace, objects, timeoutMs: 60_000 });

    const stoppedAt = Date.now();
    expect(await stopApiServer()).toBe(true);
    const env = new MockActivityEnvironment();
    const beats: RolloutHeartbeat[] = [];
    env.on('heartbeat', (details: RolloutHeartbeat) => beats.push(details));
    const waiting = env.run(waitForRollout, { namespace, objects, timeoutMs: 120_000 }) as Promise<WaitForRolloutResult>;
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await startApiServer();
    const downMs = Date.now() - stoppedAt;

    const result = await waiting;
    expect(result.workloads[0]).toMatchObject({ done: true, ready: 1 });
    const during = beats.filter((beat) => beat.unavailable);
    expect(during.length).toBeGreaterThan(1);
    expect(during[0]!.unavailable!.since).toBeGreaterThanOrEqual(stoppedAt);
    expect(during[0]!.unavailable!.error).toMatch(/refused|failed|no answer/);
    expect(beats.at(-1)!.unavailable).toBeUndefined();
    console.info(`API server down ${downMs} ms; the wait heartbeated ${during.length} times meanwhile and carried on when it was back`);
  });

  it('fails as KubernetesUnavailable, naming since when, once the deadline passes with the server still gone', async () => {
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { spec: { template: { spec: { nodeSelector: { 'deployer.test/pool': 'never' } } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const { waitForRollout } = createHealthActivities({ kubeConfig });
    const stoppedAt = new Date();
    expect(await stopApiServer()).toBe(true);
    try {
      const failure = await failureOf(() =>
        new MockActivityEnvironment().run(waitForRollout, { namespace, objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace }], timeoutMs: 4_000 }),
      );
      expect(failure.type).toBe('KubernetesUnavailable');
      expect(failure.nonRetryable).toBe(true);
      const since = /since (\S+) and/.exec(failure.message)?.[1];
      expect(new Date(since!).getTime()).toBeGreaterThanOrEqual(stoppedAt.getTime() - 1_000);
      expect(failure.message).toMatch(/^KubernetesUnavailable: the API server has not answered since \S+ and the rollout deadline \(4 s\) has passed: /);
    } finally {
      await startApiServer();
    }
  });
});
