// A service account of one namespace with a Role of its own, made for a test to act as.
// The API server's authorizer learns of a new Role and RoleBinding from its own watch, a moment
// after they are created: a request made at once can still be refused. So the account is handed
// over only when the authorizer allows what the Role grants.
import * as k8s from '@kubernetes/client-node';
import { vi } from 'vitest';
import { serviceAccountUser } from '../../src/domain/tenancy.js';

export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Creates the account, its Role and binding, and waits until the first verb of every rule is allowed. */
export async function createNamespaceIdentity(kubeConfig: k8s.KubeConfig, namespace: string, name: string, rules: RoleRule[]): Promise<{ user: string }> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const rbac = kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
  const authorization = kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace }] },
  });
  const user = serviceAccountUser({ name, namespace });
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
  await vi.waitFor(
    async () => {
      for (const rule of rules) {
        const group = rule.apiGroups[0] ?? '';
        const resource = rule.resources[0] === '*' ? 'configmaps' : rule.resources[0];
        const verb = rule.verbs[0] === '*' ? 'get' : rule.verbs[0];
        const review = await authorization.createSubjectAccessReview({
          body: { spec: { user, groups, resourceAttributes: { namespace, group, resource, verb } } },
        });
        if (!review.status?.allowed) throw new Error(`${user} may not yet ${verb} ${resource} in ${namespace}`);
      }
    },
    { timeout: 30_000, interval: 100 },
  );
  return { user };
}
