// One object, server-side applied (or dry-run applied) with the deployer's field manager, and
// what that did to it: created, configured or unchanged.
import type { ChangeAction } from '../../activities/types.js';
import { isNotFound, resourceUrlPath, type KubeClient } from './client.js';
import { applyFailure, isFieldConflict, otherEnvironmentFailure } from './apply-errors.js';
import type { ResourceInfo } from './discovery.js';
import { differsOnAppliedFields } from './managed-fields.js';
import { ENVIRONMENT_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL, MANAGED_BY_VALUE, refOf, type KubeObject } from './objects.js';
import { dropsOwnedReplicas, handOverReplicas } from './replicas-handover.js';

export interface ApplyObjectOptions {
  /** take over fields other field managers own instead of failing with FieldConflict */
  force: boolean;
  /** ask the server what the apply would do (dryRun=All) without persisting anything */
  dryRun: boolean;
}

export interface AppliedObject {
  action: Exclude<ChangeAction, 'pruned'>;
  /** what the server returned (for a dry run: what the object would become); absent on a dry-run conflict */
  result?: KubeObject;
}

export function objectPath(resource: ResourceInfo, object: { metadata: { name: string; namespace?: string } }): string {
  return resourceUrlPath({
    ...resource,
    namespace: resource.namespaced ? object.metadata.namespace : undefined,
    name: object.metadata.name,
  });
}

export async function readObject(client: KubeClient, path: string): Promise<KubeObject | undefined> {
  try {
    return await client.get<KubeObject>(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function applyObject(
  client: KubeClient,
  resource: ResourceInfo,
  object: KubeObject,
  options: ApplyObjectOptions,
): Promise<AppliedObject> {
  const path = objectPath(resource, object);
  // Read first: SSA answers alike for "created", "configured" and "unchanged".
  const live = await readObject(client, path);
  const owner = live && environmentOwning(live);
  const ours = object.metadata.labels?.[ENVIRONMENT_LABEL];
  if (owner && ours && owner !== ours && !options.force) {
    if (options.dryRun) return { action: 'configured' };
    throw otherEnvironmentFailure(refOf(object), owner, ours);
  }
  if (live && !options.dryRun && dropsOwnedReplicas(live, object)) await handOverReplicas(client, path, live);
  let result: KubeObject;
  try {
    result = await client.patch<KubeObject>(path, 'apply', object, {
      fieldManager: FIELD_MANAGER,
      force: options.force,
      dryRun: options.dryRun ? 'All' : undefined,
      // An unknown or duplicated field is a mistake in the ops repo; say so instead of dropping it.
      fieldValidation: 'Strict',
    });
  } catch (error) {
    // For a drift report a conflict is an answer, not a failure: another manager changed a field
    // the deployer sets, so the live object differs from the render.
    if (options.dryRun && live && isFieldConflict(error)) return { action: 'configured' };
    throw applyFailure(error, refOf(object));
  }
  if (!live) return { action: 'created', result };
  // A no-op apply writes nothing, so an unmoved resourceVersion means unchanged. A moved one is
  // not proof of a change: a controller may have written status between our read and the apply
  // (and a dry run never moves it). So the fields the deployer applies decide.
  const changed =
    (options.dryRun || result.metadata.resourceVersion !== live.metadata.resourceVersion) &&
    differsOnAppliedFields(live, result, FIELD_MANAGER);
  return { action: changed ? 'configured' : 'unchanged', result };
}

/** The environment label of an object the deployer manages, if it is one. */
function environmentOwning(live: KubeObject): string | undefined {
  const labels = live.metadata.labels ?? {};
  return labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE ? labels[ENVIRONMENT_LABEL] : undefined;
}
