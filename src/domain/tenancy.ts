// Tenancy rules, as pure functions over plain data: what a project's environments may touch
// (its policy, Argo CD's AppProject in spirit), and whether an environment may write an object
// that already exists (it created it, or its owner handed it over explicitly).
import type { FreezeWindow } from './freeze-windows.js';

/** What a project's environments may touch, and when. Absent fields take the defaults. */
export interface ProjectPolicy {
  /** namespaces objects may go to; default: exactly the environment's own */
  allowedNamespaces?: string[];
  /** cluster-scoped kinds allowed, as "Kind" or "group/Kind"; default none (the own Namespace is always allowed) */
  allowedClusterKinds?: string[];
  /** namespaced kinds refused, as "Kind" or "group/Kind" */
  deniedNamespacedKinds?: string[];
  /** whether cluster-wide RBAC, webhooks, CRDs and API services may be applied at all; default false */
  allowClusterRbac?: boolean;
  /** when deploys wait in every environment of the project (after each environment's own windows), validated */
  freezeWindows?: FreezeWindow[];
}

/** Kinds that act on the whole cluster: allowed only with allowClusterRbac, whatever else the policy says. */
export const clusterWideKinds: ReadonlySet<string> = new Set([
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
]);

/** An object as the policy sees it: its group, kind, name and (for namespaced kinds) namespace. */
export interface PolicyObject {
  group: string;
  kind: string;
  name: string;
  /** undefined for cluster-scoped kinds */
  namespace?: string;
}

export interface TenancyContext {
  project: string;
  /** the environment's own namespace */
  namespace: string;
  policy: ProjectPolicy;
  /** which project claims each namespace the objects name (absent: unclaimed) */
  namespaceOwners: ReadonlyMap<string, string>;
}

export interface PolicyViolation {
  object: string;
  rule: string;
}

function describe(object: PolicyObject): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
}

function kindMatches(list: readonly string[] | undefined, object: PolicyObject): boolean {
  const qualified = object.group ? `${object.group}/${object.kind}` : object.kind;
  return (list ?? []).some((entry) => entry === object.kind || entry === qualified || (object.group === '' && entry === `core/${object.kind}`));
}

/** Every way the objects break the project's policy; empty when they may all be applied. */
export function policyViolations(objects: readonly PolicyObject[], context: TenancyContext): PolicyViolation[] {
  const allowedNamespaces = context.policy.allowedNamespaces ?? [context.namespace];
  const violations: PolicyViolation[] = [];
  const add = (object: PolicyObject, rule: string) => violations.push({ object: describe(object), rule });
  for (const object of objects) {
    const qualified = object.group ? `${object.group}/${object.kind}` : object.kind;
    if (object.namespace !== undefined) {
      if (!allowedNamespaces.includes(object.namespace)) {
        add(object, `namespace ${object.namespace} is not one project ${context.project} may deploy to (allowed: ${allowedNamespaces.join(', ')})`);
      } else {
        const owner = context.namespaceOwners.get(object.namespace);
        if (owner !== undefined && owner !== context.project) add(object, `namespace ${object.namespace} belongs to project ${owner}`);
      }
      if (kindMatches(context.policy.deniedNamespacedKinds, object)) add(object, `kind ${qualified} is denied to project ${context.project}`);
      continue;
    }
    const ownNamespace = object.group === '' && object.kind === 'Namespace' && object.name === context.namespace;
    if (ownNamespace) continue;
    if (clusterWideKinds.has(qualified) && !context.policy.allowClusterRbac) {
      add(object, `cluster-wide ${qualified} needs allowClusterRbac in the policy of project ${context.project}`);
      continue;
    }
    if (!kindMatches(context.policy.allowedClusterKinds, object)) {
      add(object, `cluster-scoped kind ${qualified} is not in the allowedClusterKinds of project ${context.project}`);
    } else if (object.group === '' && object.kind === 'Namespace') {
      const owner = context.namespaceOwners.get(object.name);
      if (owner !== undefined && owner !== context.project) add(object, `namespace ${object.name} belongs to project ${owner}`);
    }
  }
  return violations;
}

/** "deployer/<project>/<env>": one server-side-apply field manager per environment (at most 128 characters). */
export function environmentFieldManager(project: string, environment: string): string {
  return `deployer/${project}/${environment}`.slice(0, 128);
}

/** Field managers of the deployer itself: the legacy shared one and every environment's. */
export function isDeployerFieldManager(manager: string): boolean {
  return manager === 'deployer' || manager.startsWith('deployer/');
}

/** The annotation the deployer writes on what an environment created: "<project>/<env>". */
export const OWNER_ANNOTATION = 'deployer.dev/owner';
/** Set by hand on an existing object to hand it to an environment: "<project>/<env>". */
export const ADOPT_ANNOTATION = 'deployer.dev/adopt-by';

export function ownerValue(project: string, environment: string): string {
  return `${project}/${environment}`;
}

/** What the live object says about who may write it. */
export interface LiveOwnership {
  annotations: Record<string, string>;
  /** the value of the deployer's environment label, when it says managed-by deployer */
  legacyEnvironmentLabel?: string;
  /** field managers with applied fields on the object */
  managers: string[];
}

export type OwnershipDecision =
  | { type: 'create' }
  | { type: 'ours' }
  /** created by this environment before owner annotations existed: ours, its field manager to be renamed */
  | { type: 'legacy' }
  | { type: 'adopt' }
  | { type: 'refuse'; reason: string };

/**
 * Whether environment `me` ("<project>/<env>") may apply over `live`. Never adopts what it did not
 * create unless the object carries the adoption annotation naming it; force does not change that.
 */
export function decideOwnership(live: LiveOwnership | undefined, me: string, myLegacyLabel: string): OwnershipDecision {
  if (!live) return { type: 'create' };
  const owner = live.annotations[OWNER_ANNOTATION];
  if (owner === me) return { type: 'ours' };
  if (live.annotations[ADOPT_ANNOTATION] === me) return { type: 'adopt' };
  if (owner === undefined && live.legacyEnvironmentLabel === myLegacyLabel && live.managers.includes('deployer')) return { type: 'legacy' };
  const handOver = `To hand it over, annotate it ${ADOPT_ANNOTATION}=${me}`;
  if (owner !== undefined) return { type: 'refuse', reason: `it belongs to deployer environment ${owner}. ${handOver} (as its owner)` };
  if (live.legacyEnvironmentLabel !== undefined) {
    return { type: 'refuse', reason: `it belongs to another deployer environment (label ${live.legacyEnvironmentLabel}). ${handOver}` };
  }
  return { type: 'refuse', reason: `it exists and was not created by this environment (made by hand or by another tool). ${handOver}` };
}

/** Whether prune may delete `live`: only what this environment created or adopted. */
export function mayPrune(live: LiveOwnership, me: string, myLegacyLabel: string): boolean {
  const decision = decideOwnership(live, me, myLegacyLabel);
  // An adoption annotation alone is a hand-over not yet taken: not ours to delete.
  return decision.type === 'ours' || decision.type === 'legacy';
}

/** An identity Kubernetes calls act as (impersonation), so the cluster's RBAC is the last line. */
export interface Impersonation {
  user: string;
}

/** A service account an environment applies as (as Flux's serviceAccountName). */
export interface ServiceAccountRef {
  name: string;
  namespace: string;
}

export function serviceAccountUser(serviceAccount: ServiceAccountRef): string {
  return `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`;
}
