// The fleet's share of the cluster: kwok nodes of its own (one node takes 250 pods; a taint keeps
// everyone else's pods off them and the fleet's pods tolerate it) and one namespace per
// environment, made up front as an administrator would. All carry the run's label, which is what
// clean-up deletes by.
import * as k8s from '@kubernetes/client-node';
import { inBatches } from './concurrency.js';
import type { Placement } from './ops-repo.js';

export const RUN_LABEL = 'deployer.bench/run';
/** pods per node the fleet plans for: kwok's nodes here take 250; rollouts surge one pod each */
const PODS_PER_NODE = 200;

export function loadKube(kubeconfig: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

export function placementFor(run: string): Placement {
  return {
    nodeSelector: { [RUN_LABEL]: run },
    tolerations: [{ key: RUN_LABEL, operator: 'Equal', value: run, effect: 'NoSchedule' }],
  };
}

export async function createFleetNodes(kc: k8s.KubeConfig, run: string, environments: number): Promise<string[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const count = Math.ceil(environments / PODS_PER_NODE);
  const names = Array.from({ length: count }, (_, i) => `${run}-node-${i}`);
  for (const name of names) {
    await core.createNode({
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', [RUN_LABEL]: run },
        },
        spec: { taints: [{ key: RUN_LABEL, value: run, effect: 'NoSchedule' }] },
      },
    });
  }
  return names;
}

export async function waitForReadyNodes(kc: k8s.KubeConfig, names: string[], timeoutMs = 60_000): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await Promise.all(
      names.map(async (name) => {
        const node = await core.readNode({ name });
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      }),
    );
    if (ready.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`kwok did not make nodes ${names.join(', ')} Ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function createNamespaces(kc: k8s.KubeConfig, run: string, names: string[]): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await inBatches(names, 16, (name) => core.createNamespace({ body: { metadata: { name, labels: { [RUN_LABEL]: run } } } }));
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

/**
 * Deletes the run's namespaces and waits until the namespace controller has removed them (and
 * their pods), so the next benchmark does not start under this one's clean-up; then the nodes.
 */
export async function deleteFleetFromCluster(kc: k8s.KubeConfig, run: string, timeoutMs = 10 * 60_000): Promise<{ leftNamespaces: number }> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const selector = `${RUN_LABEL}=${run}`;
  const namespaces = (await core.listNamespace({ labelSelector: selector })).items.map((n) => n.metadata!.name!);
  await inBatches(namespaces, 16, (name) => core.deleteNamespace({ name }).catch((error) => (isNotFound(error) ? undefined : Promise.reject(error))));
  const deadline = Date.now() + timeoutMs;
  let left = namespaces.length;
  while (left > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2_000));
    left = (await core.listNamespace({ labelSelector: selector })).items.length;
  }
  const nodes = (await core.listNode({ labelSelector: selector })).items.map((n) => n.metadata!.name!);
  for (const name of nodes) await core.deleteNode({ name }).catch((error) => (isNotFound(error) ? undefined : Promise.reject(error)));
  return { leftNamespaces: left };
}
