// Finds and deletes what an environment owns but its new render no longer contains.
//
// Candidates come from the inventory of the previous apply (any kind, any scope); only when there
// is none (objects applied before inventories existed, or a lost inventory) does a label scan of
// the environment's namespace over common kinds plus every namespaced kind of the new render
// stand in. Either way an object is only deleted when this environment created it or was handed
// it (ownership.ts): labels alone decide nothing, so objects made by hand or by another
// environment are never touched, whatever their labels say.
import type { ObjectRef } from '../domain/vocabulary.js';
import { isNotFound, KubeApiError, resourceUrlPath, type KubeClient } from './client.js';
import { objectPath, readObject } from './apply-object.js';
import type { Discovery, ResourceInfo } from './discovery.js';
import { environmentSelector, groupKind, refKey, refOf, type KubeObject } from './objects.js';
import { prunable, type Tenant } from './ownership.js';
import { pruneOrder } from './order.js';

/** Namespaced kinds an environment commonly has: scanned by a prune even when the new render has none of them, and watched for drift. */
export const commonNamespacedKinds: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
];

export interface PruneScope {
  namespace: string;
  tenant: Tenant;
  /** refKeys of the new render: never pruned */
  keep: ReadonlySet<string>;
  /** the inventory of the previous apply */
  previous: readonly ObjectRef[];
  /** namespaced kinds of the new render, scanned in addition to the common ones */
  renderedKinds: ReadonlyArray<{ apiVersion: string; kind: string }>;
}

export interface PruneCandidate {
  ref: ObjectRef;
  path: string;
}

/** Objects of this environment to delete, in prune order (dependents first, Namespaces last). */
export async function findPruneCandidates(client: KubeClient, discovery: Discovery, scope: PruneScope): Promise<PruneCandidate[]> {
  const found = new Map<string, { object: KubeObject; resource: ResourceInfo }>();
  const consider = (object: KubeObject, resource: ResourceInfo) => {
    const key = refKey(refOf(object));
    if (scope.keep.has(key) || found.has(key)) return;
    if (!prunable(object, scope.tenant)) return;
    // Already being deleted: nothing to do, and reporting it again on every apply would be noise.
    if (object.metadata.deletionTimestamp) return;
    // Made by a controller that copied our labels (a Job of a CronJob, say): its owner decides its fate.
    if (ownedByController(object)) return;
    found.set(key, { object, resource });
  };

  for (const ref of scope.previous) {
    if (scope.keep.has(refKey(ref))) continue;
    // The kind may be gone (its CRD removed); then so are its objects.
    const resource = await discovery.resolve(ref.apiVersion, ref.kind);
    if (!resource) continue;
    const live = await readObject(client, objectPath(resource, { metadata: ref }));
    if (live) consider({ ...live, apiVersion: ref.apiVersion, kind: ref.kind }, resource);
  }

  const scanned = new Set<string>();
  const repair = scope.previous.length === 0;
  for (const kind of repair ? [...commonNamespacedKinds, ...scope.renderedKinds] : []) {
    if (scanned.has(groupKind(kind))) continue;
    scanned.add(groupKind(kind));
    const resource = await discovery.resolve(kind.apiVersion, kind.kind);
    if (!resource?.namespaced) continue;
    let list: { items?: KubeObject[] };
    try {
      list = await client.get<{ items?: KubeObject[] }>(resourceUrlPath({ ...resource, namespace: scope.namespace }), {
        labelSelector: environmentSelector(scope.tenant.project, scope.tenant.environment),
      });
    } catch (error) {
      // The repair scan is best effort: a kind the environment's service account may not list is
      // one it cannot have created either.
      if (error instanceof KubeApiError && error.code === 403) continue;
      throw error;
    }
    // List items carry no apiVersion/kind of their own.
    for (const item of list.items ?? []) consider({ ...item, apiVersion: kind.apiVersion, kind: kind.kind }, resource);
  }

  return pruneOrder([...found.values()].map(({ object, resource }) => ({ ...object, resource }))).map((object) => ({
    ref: refOf(object),
    path: objectPath(object.resource, object),
  }));
}

function ownedByController(object: KubeObject): boolean {
  const owners = object.metadata.ownerReferences;
  return Array.isArray(owners) && owners.some((owner: { controller?: boolean }) => owner.controller === true);
}

/** Deletes in the background (dependents are collected by the garbage collector); false when it was already gone. */
export async function deleteObject(client: KubeClient, path: string): Promise<boolean> {
  try {
    await client.delete(path, { propagationPolicy: 'Background' });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
