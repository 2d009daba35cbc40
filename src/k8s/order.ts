// The order objects are applied in, and its reverse for pruning. Namespaces and CRDs come first
// because everything else may live in them or be one of them; then what workloads consume
// (accounts, RBAC, config, storage) before the workloads, so pods start with their config in place.
// Kinds we do not know — custom resources, mostly — go last, after the CRDs defining them.
import { groupKind } from './objects.js';

// Kinds in apply order, in phases. Within a phase nothing needs another at the API (a RoleBinding
// may name a Role that comes with it, a Service selects pods not there yet), so a phase is applied
// all at once and the phases one after another. Accounts come a phase before Secrets: a token
// Secret is only filled in for an account that exists.
const applyPhases: readonly (readonly string[])[] = [
  ['/Namespace'],
  ['apiextensions.k8s.io/CustomResourceDefinition'],
  [
    '/ResourceQuota',
    '/LimitRange',
    'scheduling.k8s.io/PriorityClass',
    'storage.k8s.io/StorageClass',
    'networking.k8s.io/NetworkPolicy',
    'policy/PodDisruptionBudget',
    '/ServiceAccount',
    'rbac.authorization.k8s.io/ClusterRole',
    'rbac.authorization.k8s.io/ClusterRoleBinding',
    'rbac.authorization.k8s.io/Role',
    'rbac.authorization.k8s.io/RoleBinding',
    '/PersistentVolume',
  ],
  ['/Secret', '/ConfigMap', '/PersistentVolumeClaim', '/Service'],
  [
    'apps/DaemonSet',
    '/Pod',
    '/ReplicationController',
    'apps/ReplicaSet',
    'apps/Deployment',
    'apps/StatefulSet',
    'autoscaling/HorizontalPodAutoscaler',
    'batch/Job',
    'batch/CronJob',
  ],
  [
    'networking.k8s.io/IngressClass',
    'networking.k8s.io/Ingress',
    'apiregistration.k8s.io/APIService',
    'admissionregistration.k8s.io/MutatingWebhookConfiguration',
    'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  ],
];
const applyRanks: readonly string[] = applyPhases.flat();
const phaseOf = new Map(applyPhases.flatMap((kinds, phase) => kinds.map((kind) => [kind, phase] as const)));
const rankOf = new Map(applyRanks.map((kind, rank) => [kind, rank]));

export function applyRank(object: { apiVersion: string; kind: string }): number {
  return rankOf.get(groupKind(object)) ?? applyRanks.length;
}

/** A stable sort by apply rank: objects of one rank keep the order the render gave them. */
export function applyOrder<T extends { apiVersion: string; kind: string }>(objects: readonly T[]): T[] {
  return objects
    .map((object, index) => ({ object, index, rank: applyRank(object) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ object }) => object);
}

/** Dependents before what they depend on: custom resources before their CRD, the Namespace last. */
export function pruneOrder<T extends { apiVersion: string; kind: string }>(objects: readonly T[]): T[] {
  return applyOrder(objects).reverse();
}

/** Objects grouped by apply phase, in apply order: the objects of one tier depend on none of each other. */
export function applyTiers<T extends { apiVersion: string; kind: string }>(objects: readonly T[]): T[][] {
  const tiers: T[][] = [];
  let phase: number | undefined;
  for (const object of applyOrder(objects)) {
    const next = phaseOf.get(groupKind(object)) ?? applyPhases.length;
    if (next !== phase) tiers.push([]);
    phase = next;
    tiers.at(-1)!.push(object);
  }
  return tiers;
}
