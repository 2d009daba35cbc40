// The one ops repository every environment of the fleet renders from: a local git repository
// (file:// URL) with a 4-object template under fleet/. Per-environment differences come from the
// environment's values_override; scheduling onto the run's own kwok nodes comes from values.yaml.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import { stringify } from 'yaml';

/** Object names inside each environment's namespace: the same in every one. */
export const fleetObjects = {
  configMap: 'web-config',
  serviceAccount: 'web',
  service: 'web',
  deployment: 'web',
  container: 'web',
} as const;

export const manifestPath = 'app.yaml.njk';
/** Where the fleet's app lives in the repository (its ops repo row's path): other apps sit beside it. */
export const fleetAppPath = 'fleet';

const template = `{# A small web app: configuration, an identity, a Service and a one-replica Deployment. #}
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${fleetObjects.configMap}
data:
  environment: {{ environment }}
  greeting: {{ values.greeting }}
  revision: {{ values.revision }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${fleetObjects.serviceAccount}
---
apiVersion: v1
kind: Service
metadata:
  name: ${fleetObjects.service}
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${fleetObjects.deployment}
spec:
  replicas: 1
  progressDeadlineSeconds: 120
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: ${fleetObjects.serviceAccount}
      nodeSelector: {{ values.nodeSelector | toYaml(8) }}
      tolerations: {{ values.tolerations | toYaml(8) }}
      containers:
        - name: ${fleetObjects.container}
          image: {{ image_ref }}
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
`;

export interface FleetOpsRepo {
  name: string;
  dir: string;
  url: string;
  branch: string;
  git: SimpleGit;
  /** commits a new `revision` value (every environment's ConfigMap changes); returns the commit */
  commitRevision(revision: string): Promise<string>;
  /** adds a copy of the app under `subdir` (its own template and values.yaml); returns the commit */
  addApp(subdir: string): Promise<string>;
  /** commits a new `revision` for the app under `subdir` only; returns the commit */
  commitAppRevision(subdir: string, revision: string): Promise<string>;
}

export interface Placement {
  nodeSelector: Record<string, string>;
  tolerations: Array<Record<string, string>>;
}

function values(placement: Placement, revision: string): string {
  return stringify({ greeting: 'hello', revision, ...placement });
}

export async function createOpsRepo(dir: string, name: string, placement: Placement): Promise<FleetOpsRepo> {
  await mkdir(join(dir, fleetAppPath), { recursive: true });
  await writeFile(join(dir, fleetAppPath, manifestPath), template);
  await writeFile(join(dir, fleetAppPath, 'values.yaml'), values(placement, 'r1'));
  const git = simpleGit(dir);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'deployer bench').addConfig('user.email', 'bench@deployer.local');
  await git.add('.').commit('fleet app');
  const repo: FleetOpsRepo = {
    name,
    dir,
    url: pathToFileURL(dir).href,
    branch: 'main',
    git,
    commitRevision(revision) {
      return repo.commitAppRevision(fleetAppPath, revision);
    },
    async addApp(subdir) {
      await mkdir(join(dir, subdir), { recursive: true });
      await writeFile(join(dir, subdir, manifestPath), template);
      return repo.commitAppRevision(subdir, 'r1');
    },
    async commitAppRevision(subdir, revision) {
      await writeFile(join(dir, subdir, 'values.yaml'), values(placement, revision));
      await git.add('.').commit(`${subdir}: revision ${revision}`);
      return (await git.revparse(['HEAD'])).trim();
    },
  };
  return repo;
}
