// What the deployer applied for an environment last time, kept in a ConfigMap in the
// environment's namespace (the idea of Flux's inventory). Pruning starts from it, so an object
// of any kind — a custom resource, a cluster-scoped ClusterRole — is pruned when the render drops
// it, not only the kinds a label scan happens to look at.
import { createHash } from 'node:crypto';
import type { ObjectRef } from '../domain/vocabulary.js';
import { isNotFound, KubeApiError, resourceUrlPath, type KubeClient } from './client.js';
import { environmentLabelValue, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './objects.js';
import type { Tenant } from './ownership.js';

/**
 * Marks the inventory and says whose it is. Deliberately not the environment label: the inventory
 * is bookkeeping, not part of the render, and must never become a prune candidate itself.
 */
export const INVENTORY_LABEL = 'deployer.dev/inventory-of';
const INVENTORY_KEY = 'objects.json';

// ConfigMap names are DNS subdomains: lower-case alphanumerics, '-' and '.', at most 253 characters.
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,200}[a-z0-9])?$/;

export function inventoryName(project: string, environment: string): string {
  const label = environmentLabelValue(project, environment);
  if (dnsSubdomain.test(label)) return `deployer-inventory.${label}`;
  return `deployer-inventory-${createHash('sha256').update(`${project}\0${environment}`).digest('hex').slice(0, 16)}`;
}

function inventoryPath(namespace: string, project: string, environment: string): string {
  return resourceUrlPath({ group: '', version: 'v1', resource: 'configmaps', namespace, name: inventoryName(project, environment) });
}

/** The refs recorded by the last successful apply; none when there is no inventory yet. */
export async function readInventory(client: KubeClient, namespace: string, project: string, environment: string): Promise<ObjectRef[]> {
  try {
    const configMap = await client.get<{ data?: Record<string, string> }>(inventoryPath(namespace, project, environment));
    const recorded = configMap.data?.[INVENTORY_KEY];
    return recorded ? (JSON.parse(recorded) as ObjectRef[]) : [];
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

export async function writeInventory(client: KubeClient, namespace: string, tenant: Tenant, refs: ObjectRef[]): Promise<void> {
  const { project, environment } = tenant;
  const name = inventoryName(project, environment);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [INVENTORY_LABEL]: environmentLabelValue(project, environment) },
    },
    data: { [INVENTORY_KEY]: JSON.stringify(refs) },
  };
  try {
    await client.patch(inventoryPath(namespace, project, environment), 'apply', configMap, { fieldManager: tenant.fieldManager, force: true });
  } catch (error) {
    // The namespace is gone or going (the render holds nothing namespaced, or this apply pruned
    // the Namespace): nothing namespaced is left to prune. Cluster-scoped objects of this render go
    // untracked until an apply can write the inventory again.
    if (isNamespaceMissing(error)) return;
    throw error;
  }
}

function isNamespaceMissing(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return false;
  if (error.code === 404) return error.status?.details?.kind === 'namespaces';
  return error.code === 403 && (error.status?.details?.causes ?? []).some((cause) => cause.reason === 'NamespaceTerminating');
}
