// One object, server-side applied (or dry-run applied) with the environment's field manager, and
// what that did to it: created, configured or unchanged. An object that exists is written only
// when this environment created it or its owner handed it over (ownership.ts); force takes fields
// only from managers outside the deployer (kubectl, controllers), never from another environment.
import type { ChangeAction, FieldChange } from '../domain/vocabulary.js';
import { isDeployerFieldManager } from '../domain/tenancy.js';
import { isNotFound, resourceUrlPath, type KubeClient } from './client.js';
import { applyFailure, fieldConflicts, isFieldConflict, notOwnedFailure } from './apply-errors.js';
import type { ResourceInfo } from './discovery.js';
import { appliedFieldsDiff } from './field-diff.js';
import { differsOnAppliedFields } from './managed-fields.js';
import { LEGACY_FIELD_MANAGER, refOf, type KubeObject } from './objects.js';
import { ownerAnnotations, ownershipOf, type Tenant } from './ownership.js';
import { dropsOwnedReplicas, handOverReplicas } from './replicas-handover.js';
import { KubeApiError } from './client.js';

export interface ApplyObjectOptions {
  /** the environment applying */
  tenant: Tenant;
  /** take over fields that managers outside the deployer own instead of failing with FieldConflict */
  force: boolean;
  /** ask the server what the apply would do (dryRun=All) without persisting anything */
  dryRun: boolean;
  /** values the render took from the environment's secrets: never shown in a diff */
  secretValues?: readonly string[];
}

export interface AppliedObject {
  action: Exclude<ChangeAction, 'pruned'>;
  /** what the server returned (for a dry run: what the object would become); absent on a dry-run conflict */
  result?: KubeObject;
  /** the changes to the fields the environment manages, of an object created or configured (or that a dry run would) */
  diff?: FieldChange[];
}

export function objectPath(resource: ResourceInfo, object: { metadata: { name: string; namespace?: string } }): string {
  return resourceUrlPath({
    ...resource,
    namespace: resource.namespaced ? object.metadata.namespace : undefined,
    name: object.metadata.name,
  });
}

function isMissingNamespace(error: unknown, object: KubeObject): boolean {
  return isNotFound(error) && object.metadata.namespace !== undefined && (error as KubeApiError).status?.details?.kind === 'namespaces';
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
  const { tenant } = options;
  const path = objectPath(resource, object);
  // Read first: SSA answers alike for "created", "configured" and "unchanged", and the live
  // object says whether this environment may write it at all.
  let live: KubeObject | undefined;
  try {
    live = await readObject(client, path);
  } catch (error) {
    // A Forbidden here names the verb, resource and namespace the identity lacks.
    throw applyFailure(error, refOf(object));
  }
  const ownership = ownershipOf(live, tenant);
  if (ownership.type === 'refuse') throw notOwnedFailure(refOf(object), ownership.reason);
  if (live && ownership.type === 'legacy' && !options.dryRun) live = await renameLegacyManager(client, path, live, tenant.fieldManager);
  if (live && !options.dryRun && dropsOwnedReplicas(live, object, tenant.fieldManager)) await handOverReplicas(client, path, live);

  const body: KubeObject = { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...ownerAnnotations(tenant) } } };
  const apply = (force: boolean) =>
    client.patch<KubeObject>(path, 'apply', body, {
      fieldManager: tenant.fieldManager,
      force,
      dryRun: options.dryRun ? 'All' : undefined,
      // An unknown or duplicated field is a mistake in the ops repo; say so instead of dropping it.
      fieldValidation: 'Strict',
    });
  let result: KubeObject;
  try {
    // An adopted object's fields belong to its previous owner's manager: the hand-over lets us take them.
    result = await apply(ownership.type === 'adopt');
  } catch (error) {
    // For a drift report a conflict is an answer, not a failure: another manager changed a field
    // the deployer sets, so the live object differs from the render.
    if (options.dryRun && live && isFieldConflict(error)) return { action: 'configured' };
    // A dry run persists nothing, so in a namespace the same render creates (an environment's first
    // release) every object's dry run is refused for the missing namespace. It would be created;
    // without the server's answer there is no field diff to show.
    if (options.dryRun && !live && isMissingNamespace(error, object)) return { action: 'created' };
    if (!(options.force && isFieldConflict(error) && fieldConflicts(error as KubeApiError).every((c) => !isDeployerFieldManager(c.manager)))) {
      throw applyFailure(error, refOf(object));
    }
    try {
      result = await apply(true);
    } catch (forced) {
      throw applyFailure(forced, refOf(object));
    }
  }
  // The live object was read anyway: the diff costs no request, so a real apply has it too.
  if (!live) return { action: 'created', result, diff: appliedFieldsDiff(live, result, tenant.fieldManager, options.secretValues) };
  // A no-op apply writes nothing, so an unmoved resourceVersion means unchanged. A moved one is
  // not proof of a change: a controller may have written status between our read and the apply
  // (and a dry run never moves it). So the fields the deployer applies decide.
  const changed =
    (options.dryRun || result.metadata.resourceVersion !== live.metadata.resourceVersion) &&
    differsOnAppliedFields(live, result, tenant.fieldManager);
  return changed ? { action: 'configured', result, diff: appliedFieldsDiff(live, result, tenant.fieldManager, options.secretValues) } : { action: 'unchanged', result };
}

/**
 * Objects this environment applied under the shared legacy field manager "deployer" move to its
 * own manager (as client-go's csaupgrade does): renamed in managedFields, guarded by the
 * resourceVersion, so nothing it applied is orphaned and no conflict appears with itself.
 */
async function renameLegacyManager(client: KubeClient, path: string, live: KubeObject, fieldManager: string): Promise<KubeObject> {
  const entries = live.metadata.managedFields ?? [];
  const operations: unknown[] = [{ op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion }];
  entries.forEach((entry, index) => {
    if (entry.manager === LEGACY_FIELD_MANAGER && entry.operation === 'Apply') {
      operations.push({ op: 'replace', path: `/metadata/managedFields/${index}/manager`, value: fieldManager });
    }
  });
  if (operations.length === 1) return live;
  try {
    return await client.patch<KubeObject>(path, 'json', operations);
  } catch (error) {
    // Changed meanwhile (the test failed): the next attempt reads it again.
    throw applyFailure(error, refOf(live));
  }
}
