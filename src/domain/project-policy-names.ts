// A project's policy in the API's snake_case and back (the stored form is the domain's camelCase).
import { checkedFreezeWindowsFromApi, freezeWindowToApi, type ApiFreezeWindow } from './freeze-window-names.js';
import type { ProjectPolicy } from './tenancy.js';

export interface ApiProjectPolicy {
  allowed_namespaces?: string[];
  allowed_cluster_kinds?: string[];
  denied_namespaced_kinds?: string[];
  allow_cluster_rbac?: boolean;
  freeze_windows?: ApiFreezeWindow[];
}

/** `body` has passed the API's schema (projectPolicyBody); windows it would refuse throw an InvalidRequestError naming the field. */
export function projectPolicyFromApi(body: ApiProjectPolicy): ProjectPolicy {
  const policy: ProjectPolicy = {};
  if (body.allowed_namespaces !== undefined) policy.allowedNamespaces = [...new Set(body.allowed_namespaces)];
  if (body.allowed_cluster_kinds !== undefined) policy.allowedClusterKinds = [...new Set(body.allowed_cluster_kinds)];
  if (body.denied_namespaced_kinds !== undefined) policy.deniedNamespacedKinds = [...new Set(body.denied_namespaced_kinds)];
  if (body.allow_cluster_rbac !== undefined) policy.allowClusterRbac = body.allow_cluster_rbac;
  if (body.freeze_windows !== undefined) policy.freezeWindows = checkedFreezeWindowsFromApi(body.freeze_windows, 'freeze_windows');
  return policy;
}

/** The stored policy with the defaults spelled out, as reads answer it. */
export function projectPolicyToApi(policy: ProjectPolicy) {
  return {
    allowed_namespaces: policy.allowedNamespaces ?? null,
    allowed_cluster_kinds: policy.allowedClusterKinds ?? [],
    denied_namespaced_kinds: policy.deniedNamespacedKinds ?? [],
    allow_cluster_rbac: policy.allowClusterRbac ?? false,
    freeze_windows: (policy.freezeWindows ?? []).map(freezeWindowToApi),
  };
}
