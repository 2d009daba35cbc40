// Where the local stack keeps its binaries, state and ports. Binaries are cached outside the
// repository, keyed by version, so only the first run on a machine pays for a build; state lives
// under .data/ in the work tree so `git clean -fdX` resets it.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const dataDir = process.env.DEPLOYER_DATA_DIR ?? join(repoRoot, '.data');
export const cacheDir =
  process.env.DEPLOYER_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'deployer');

export const versions = {
  temporalCli: '1.5.1',
  kubernetes: 'v1.36.3',
  etcd: 'v3.6.8',
  kwok: 'v0.8.0',
} as const;

export const ports = {
  temporal: 7233,
  temporalUi: 8233,
  postgres: 55432,
  etcdClient: 52379,
  etcdPeer: 52380,
  kubeApiserver: 56443,
  kubeControllerManager: 50257,
  kubeScheduler: 50259,
  kwok: 50264,
} as const;

export const temporalSearchAttributes = ['DeployProject', 'DeployEnvironment', 'DeployImage', 'DeployStatus'];

export const postgresDatabases = { app: 'deployer', test: 'deployer_test' } as const;

export const paths = {
  temporalBinDir: join(cacheDir, `temporal-${versions.temporalCli}`),
  kubernetesBinDir: join(cacheDir, `kubernetes-${versions.kubernetes}-etcd-${versions.etcd}`),
  kwokBinDir: join(cacheDir, `kwok-${versions.kwok}`),
  temporalDb: join(dataDir, 'temporal', 'temporal.db'),
  pgData: join(dataDir, 'pg'),
  k8sDir: join(dataDir, 'k8s'),
  kubeconfig: join(dataDir, 'k8s', 'kubeconfig'),
  runDir: join(dataDir, 'run'),
  logDir: join(dataDir, 'logs'),
};
