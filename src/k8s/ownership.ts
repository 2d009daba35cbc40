// Who may write an existing object, read off the live object: the owner annotation the deployer
// writes on create, the adoption annotation a person sets to hand an object over, and (for objects
// applied before owner annotations existed) the environment label plus the legacy field manager.
import { decideOwnership, mayPrune, OWNER_ANNOTATION, ownerValue, type LiveOwnership, type OwnershipDecision } from '../domain/tenancy.js';
import { environmentLabelValue, ENVIRONMENT_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type KubeObject } from './objects.js';

/** The environment an apply or prune acts for. */
export interface Tenant {
  project: string;
  environment: string;
  /** its server-side-apply field manager */
  fieldManager: string;
}

export function liveOwnership(live: KubeObject): LiveOwnership {
  const labels = live.metadata.labels ?? {};
  return {
    annotations: live.metadata.annotations ?? {},
    legacyEnvironmentLabel: labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE ? labels[ENVIRONMENT_LABEL] : undefined,
    managers: (live.metadata.managedFields ?? []).map((entry) => entry.manager ?? ''),
  };
}

export function ownershipOf(live: KubeObject | undefined, tenant: Tenant): OwnershipDecision {
  return decideOwnership(live && liveOwnership(live), ownerValue(tenant.project, tenant.environment), environmentLabelValue(tenant.project, tenant.environment));
}

export function prunable(live: KubeObject, tenant: Tenant): boolean {
  return mayPrune(liveOwnership(live), ownerValue(tenant.project, tenant.environment), environmentLabelValue(tenant.project, tenant.environment));
}

/** The annotations the deployer sets on every object it applies for `tenant`. */
export function ownerAnnotations(tenant: Tenant): Record<string, string> {
  return { [OWNER_ANNOTATION]: ownerValue(tenant.project, tenant.environment) };
}

