// Kubernetes: the cluster named by DEPLOYER_KUBECONFIG, else a local control plane of real
// etcd + kube-apiserver + kube-controller-manager + kube-scheduler, with kwok playing the kubelet
// of one simulated node, so Deployments really roll out: ReplicaSets, scheduled Pods, Ready.
import * as k8s from '@kubernetes/client-node';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inDir, onPath, requireGo, runBuild, versionOf } from './binaries.js';
import { ensurePki, type Pki } from './certificates.js';
import { paths, ports, repoRoot, versions } from './layout.js';
import { runningPid, startProcess, stopProcess } from './processes.js';
import { awaitService } from './await-service.js';
import { waitFor } from './wait.js';

export const NODE_NAME = 'kwok-node-0';
const apiserverUrl = `https://127.0.0.1:${ports.kubeApiserver}`;
const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
const controlPlaneBinaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
type Binaries = Record<(typeof controlPlaneBinaries)[number] | 'kwok', string>;

export function kubeconfigPath(): string {
  return process.env.DEPLOYER_KUBECONFIG ?? paths.kubeconfig;
}

export interface KubernetesBinaries {
  binaries: Binaries;
  source: string;
}

/** What must exist before the control plane can start: its binaries, built when missing. Nothing for a cluster the user runs. */
export async function prepareKubernetes(): Promise<KubernetesBinaries | undefined> {
  return process.env.DEPLOYER_KUBECONFIG ? undefined : obtainBinaries();
}

async function obtainBinaries(): Promise<KubernetesBinaries> {
  const sources: string[] = [];
  const found: Partial<Binaries> = {};
  // The control plane binaries come as one set: all on PATH, else all from the cache, else built.
  const pathSet = controlPlaneBinaries.map((name) => onPath(name));
  const cacheSet = controlPlaneBinaries.map((name) => inDir(paths.kubernetesBinDir, name));
  if (pathSet.every(Boolean)) {
    controlPlaneBinaries.forEach((name, i) => (found[name] = pathSet[i]));
    sources.push('control plane from PATH');
  } else {
    if (!cacheSet.every(Boolean)) {
      requireGo(
        'A Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)',
        'Set DEPLOYER_KUBECONFIG to the kubeconfig of a cluster you run, put those four binaries on PATH, or install Go 1.26+.',
      );
      await runBuild(
        `Kubernetes ${versions.kubernetes} and etcd ${versions.etcd}`,
        'bash',
        [join(repoRoot, 'scripts', 'build-kubernetes.sh'), versions.kubernetes, versions.etcd, paths.kubernetesBinDir],
      );
      sources.push(`control plane built into ${paths.kubernetesBinDir}`);
    } else {
      sources.push(`control plane from cache (${paths.kubernetesBinDir})`);
    }
    controlPlaneBinaries.forEach((name) => (found[name] = inDir(paths.kubernetesBinDir, name)));
  }
  const kwokOnPath = onPath('kwok');
  if (kwokOnPath) {
    found.kwok = kwokOnPath;
    sources.push('kwok from PATH');
  } else if (inDir(paths.kwokBinDir, 'kwok')) {
    found.kwok = inDir(paths.kwokBinDir, 'kwok');
    sources.push('kwok from cache');
  } else {
    const go = requireGo('kwok', 'Put `kwok` on PATH or install Go 1.26+.');
    await runBuild(`kwok ${versions.kwok}`, go, ['install', '-trimpath', '-ldflags=-s -w', `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}`], {
      GOBIN: paths.kwokBinDir,
    });
    found.kwok = inDir(paths.kwokBinDir, 'kwok');
    sources.push(`kwok built into ${paths.kwokBinDir}`);
  }
  return { binaries: found as Binaries, source: sources.join(', ') };
}

function writeKubeconfig(pki: Pki): void {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'deployer-local', cluster: { server: apiserverUrl, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [
      {
        name: 'deployer-admin',
        user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) },
      },
    ],
    contexts: [{ name: 'deployer-local', context: { cluster: 'deployer-local', user: 'deployer-admin' } }],
    'current-context': 'deployer-local',
  };
  writeFileSync(paths.kubeconfig, JSON.stringify(config, null, 2), { mode: 0o600 });
}

function loadConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

async function etcdHealthy(): Promise<boolean> {
  const response = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
  return response.ok && ((await response.json()) as { health?: string }).health === 'true';
}

async function apiserverReady(): Promise<boolean> {
  const kc = loadConfig();
  const api = kc.makeApiClient(k8s.CoreV1Api);
  // /readyz through an authenticated call: list namespaces answers only once the server is serving.
  await api.listNamespace({ limit: 1 });
  return true;
}

/**
 * Nodes that say Ready and whose kubelet (here kwok) renewed their lease lately: after a restart
 * the Ready condition stored in etcd is stale until the node lifecycle controller notices, so the
 * lease is what tells a node is really looked after right now.
 */
async function readyNodes(): Promise<string[]> {
  const kc = loadConfig();
  const [nodes, leases] = await Promise.all([
    kc.makeApiClient(k8s.CoreV1Api).listNode(),
    kc.makeApiClient(k8s.CoordinationV1Api).listNamespacedLease({ namespace: 'kube-node-lease' }),
  ]);
  const renewedAt = new Map(leases.items.map((lease) => [lease.metadata?.name, lease.spec?.renewTime]));
  const fresh = (name: string | undefined) => {
    const renewed = renewedAt.get(name);
    return renewed !== undefined && Date.now() - new Date(renewed).getTime() < 60_000;
  };
  return nodes.items
    .filter((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .filter((node) => fresh(node.metadata?.name))
    .map((node) => node.metadata?.name ?? '?');
}

async function ensureNode(): Promise<void> {
  const api = loadConfig().makeApiClient(k8s.CoreV1Api);
  try {
    await api.readNode({ name: NODE_NAME });
    return;
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
  }
  await api.createNode({
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: NODE_NAME,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': NODE_NAME,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
        },
      },
    },
  });
}

function startUnlessRunning(name: string, command: string, args: string[]): void {
  if (runningPid(name, command.split('/').pop()) === undefined) startProcess({ name, command, args });
}

export async function upKubernetes(prepared?: KubernetesBinaries): Promise<string> {
  if (process.env.DEPLOYER_KUBECONFIG) {
    const nodes = await waitFor('a Ready node in the cluster of DEPLOYER_KUBECONFIG', async () => {
      const ready = await readyNodes();
      return ready.length > 0 ? ready : undefined;
    }, { timeoutMs: 30_000 });
    return `using DEPLOYER_KUBECONFIG=${kubeconfigPath()} (Ready nodes: ${nodes.join(', ')})`;
  }
  const { binaries, source } = prepared ?? (await obtainBinaries());
  const pkiDir = join(paths.k8sDir, 'pki');
  const pki = ensurePki(pkiDir);
  mkdirSync(paths.k8sDir, { recursive: true });
  if (!existsSync(paths.kubeconfig)) writeKubeconfig(pki);

  startUnlessRunning('etcd', binaries.etcd, [
    '--name', 'deployer',
    '--data-dir', join(paths.k8sDir, 'etcd'),
    '--listen-client-urls', etcdUrl,
    '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://127.0.0.1:${ports.etcdPeer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${ports.etcdPeer}`,
    '--initial-cluster', `deployer=http://127.0.0.1:${ports.etcdPeer}`,
    '--unsafe-no-fsync', // a throwaway local cluster: speed over crash safety
    '--log-level', 'warn',
  ]);
  await awaitService('etcd to report healthy', etcdHealthy, { service: 'etcd', command: 'etcd' });

  startUnlessRunning('kube-apiserver', binaries['kube-apiserver'], [
    '--etcd-servers', etcdUrl,
    '--bind-address', '127.0.0.1',
    '--advertise-address', '127.0.0.1', // else it looks for a default-route interface
    '--secure-port', String(ports.kubeApiserver),
    '--tls-cert-file', pki.serverCert,
    '--tls-private-key-file', pki.serverKey,
    '--client-ca-file', pki.caCert,
    '--authorization-mode', 'RBAC',
    '--service-account-issuer', 'https://kubernetes.default.svc',
    '--service-account-key-file', pki.serviceAccountPub,
    '--service-account-signing-key-file', pki.serviceAccountKey,
    '--service-cluster-ip-range', '10.96.0.0/16',
    '--disable-admission-plugins', 'ServiceAccount', // no kubelet mounts tokens here
    '--allow-privileged=true',
    '--v', '1',
  ]);
  await awaitService('kube-apiserver to serve requests', apiserverReady, { service: 'kube-apiserver', command: 'kube-apiserver' });

  const kubeconfig = paths.kubeconfig;
  startUnlessRunning('kube-controller-manager', binaries['kube-controller-manager'], [
    '--kubeconfig', kubeconfig,
    '--leader-elect=false',
    '--bind-address', '127.0.0.1',
    '--secure-port', String(ports.kubeControllerManager),
    '--service-account-private-key-file', pki.serviceAccountKey,
    '--root-ca-file', pki.caCert,
    '--v', '1',
  ]);
  startUnlessRunning('kube-scheduler', binaries['kube-scheduler'], [
    '--kubeconfig', kubeconfig,
    '--leader-elect=false',
    '--bind-address', '127.0.0.1',
    '--secure-port', String(ports.kubeScheduler),
    '--v', '1',
  ]);
  startUnlessRunning('kwok', binaries.kwok, [
    '--kubeconfig', kubeconfig,
    '--config', join(repoRoot, 'scripts', 'stack', 'kwok-stages.yaml'),
    '--manage-all-nodes=true',
    '--node-lease-duration-seconds', '40', // without leases the node goes NotReady
    '--cidr', '10.0.0.0/16',
    '--node-ip', '10.240.0.1',
    '--server-address', `127.0.0.1:${ports.kwok}`,
  ]);
  await ensureNode();
  const nodes = await awaitService(`node ${NODE_NAME} to become Ready`, async () => {
    const ready = await readyNodes();
    return ready.length > 0 ? ready : undefined;
  }, { service: 'kwok', command: 'kwok' });
  return `${apiserverUrl} (Kubernetes ${versions.kubernetes}, etcd ${versionOf(binaries.etcd).replace('etcd Version: ', 'v')}, Ready nodes: ${nodes.join(', ')}) — ${source}; kubeconfig ${kubeconfig}`;
}

export async function statusKubernetes(): Promise<{ ok: boolean; line: string }> {
  try {
    const ready = await readyNodes();
    if (ready.length === 0) return { ok: false, line: `kubernetes DOWN  ${kubeconfigPath()}: no Ready node` };
    return { ok: true, line: `kubernetes ok    ${loadConfig().getCurrentCluster()?.server} Ready nodes: ${ready.join(', ')}` };
  } catch (error) {
    return { ok: false, line: `kubernetes DOWN  ${kubeconfigPath()}: ${(error as Error).message.split('\n')[0]}` };
  }
}

export async function downKubernetes(): Promise<string[]> {
  const stopped: string[] = [];
  // Reverse start order: clients of the API server first, etcd last.
  for (const [name, command] of [
    ['kwok', 'kwok'],
    ['kube-scheduler', 'kube-scheduler'],
    ['kube-controller-manager', 'kube-controller-manager'],
    ['kube-apiserver', 'kube-apiserver'],
    ['etcd', 'etcd'],
  ] as const) {
    if (await stopProcess(name, command)) stopped.push(name);
  }
  return stopped;
}
