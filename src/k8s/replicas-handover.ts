// Keeps spec.replicas when the deployer stops applying it (the environment got an autoscaler, or
// the render dropped the field). Server-side apply deletes a field its last owner stops setting,
// and a Deployment without spec.replicas is defaulted to 1: switching an environment to
// `hasAutoscaler` would scale production down to one pod until the HPA reacts. Following the
// Kubernetes docs on transferring ownership, another manager first applies the live count (same
// value, so no conflict: the two share ownership); then the deployer's apply without the field
// leaves it to that manager, and the HPA takes it over on its first scale.
import type { KubeClient } from './client.js';
import { fieldsAppliedBy } from './managed-fields.js';
import { isScalableWorkload } from '../domain/kube-object.js';
import type { KubeObject } from './objects.js';

export const HANDOVER_FIELD_MANAGER = 'deployer-replicas-handover';

/** Whether applying `config` over `live` would make `fieldManager` drop spec.replicas it owns. */
export function dropsOwnedReplicas(live: KubeObject, config: KubeObject, fieldManager: string): boolean {
  if (!isScalableWorkload(config)) return false;
  if ((config.spec as { replicas?: unknown } | undefined)?.replicas !== undefined) return false;
  const owned = fieldsAppliedBy(live, fieldManager)?.['f:spec'] as Record<string, unknown> | undefined;
  return owned !== undefined && 'f:replicas' in owned;
}

export async function handOverReplicas(client: KubeClient, path: string, live: KubeObject): Promise<void> {
  const replicas = (live.spec as { replicas?: number } | undefined)?.replicas;
  if (replicas === undefined) return;
  const config = {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: { name: live.metadata.name, namespace: live.metadata.namespace },
    spec: { replicas },
  };
  await client.patch(path, 'apply', config, { fieldManager: HANDOVER_FIELD_MANAGER, force: false });
}
