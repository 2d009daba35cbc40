// The apply stage: loads the rendered manifest by hash, checks every object against the project's
// policy (nothing is applied when one breaks it), server-side applies them with the environment's
// own field manager (Namespaces and CRDs first), as the environment's service account when it has
// one, then prunes what the environment created but the render dropped. The change set says per
// object what happened; with `dryRun` nothing is persisted and it is the drift report, judged on
// the fields the deployer manages. The managed fields an apply changes come back for a dry run, or
// when asked (`withDiff`: a release's own activity, which records them), never with a value the
// render took from a secret. A drift pass (`onlyDrifted`) first compares the live objects with
// what the last apply left behind and applies only the objects someone changed or deleted: when
// nothing changed it costs one read per object and no write.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { loadAppliedObjects, saveAppliedObjects, type AppliedObjects } from '../src/db/applied-objects.js';
import { openRenderedManifest } from '../src/db/manifests.js';
import { redactError } from '../src/domain/secrets.js';
import { keyedHash, type Keyring } from '../src/crypto/keyring.js';
import { loadProjectPolicy, namespaceOwners } from '../src/db/tenancy.js';
import { environmentFieldManager, policyViolations, type PolicyObject } from '../src/domain/tenancy.js';
import { applyObject, objectPath, readObject } from '../src/k8s/apply-object.js';
import { applyFailure } from '../src/k8s/apply-errors.js';
import { KubeApiError, KubeClient } from '../src/k8s/client.js';
import { isCrd, scopeDefinedByCrds, waitForCrdEstablished } from '../src/k8s/crd.js';
import { Discovery, unknownKind } from '../src/k8s/discovery.js';
import { readInventory, writeInventory } from '../src/k8s/inventory.js';
import { appliedFieldsDigest } from '../src/k8s/managed-fields.js';
import { apiGroup, describeRef, environmentLabels, groupKind, MANAGED_BY_LABEL, MANAGED_BY_VALUE, parseManifests, refKey, refOf, type KubeObject } from '../src/k8s/objects.js';
import type { Tenant } from '../src/k8s/ownership.js';
import { applyTiers } from '../src/k8s/order.js';
import { prepareForApply } from '../src/k8s/prepare.js';
import { deleteObject, findPruneCandidates } from '../src/k8s/prune.js';
import type { ActivityDeps } from './index.js';
import { runStep } from './step.js';
import type { ApplyInput, ApplyResult, ChangeSetEntry, ObjectRef } from './types.js';

/** What one applyManifests call works with. */
interface ApplyRun {
  input: ApplyInput;
  tenant: Tenant;
  dryRun: boolean;
  /** values the render took from the environment's secrets: kept out of every diff */
  secretValues: readonly string[];
  client: KubeClient;
  discovery: Discovery;
  context: Context;
}

interface AppliedRender {
  changes: ChangeSetEntry[];
  /** refKey → digest of the fields the environment owns on the object after the apply */
  fields: Map<string, string>;
  /** refKeys of every object of the render: never pruned */
  keys: Set<string>;
  /** namespaced kinds of the render, for the prune scan */
  namespacedKinds: Array<{ apiVersion: string; kind: string }>;
}

export function createApplyActivities(deps: Pick<ActivityDeps, 'pool' | 'kubeConfig' | 'payloadKeys'>) {
  return {
    applyManifests(input: ApplyInput): Promise<ApplyResult> {
      return runStep(() => applyManifests(input));
    },
  };

  async function applyManifests(input: ApplyInput): Promise<ApplyResult> {
    const stored = await openRenderedManifest(deps.pool, input.manifestHash, deps.payloadKeys);
    try {
      return await applyStored(input, stored.yaml, stored.secretValues, stored.secretValues.length > 0 ? deps.payloadKeys : undefined);
    } catch (error) {
      // The API server's refusals may quote the object they refused.
      throw redactError(error, stored.secretValues);
    }
  }

  /**
   * `secretValues`: what the render took from the environment's secrets, which a diff never shows.
   * `digestKey`: the render holds secrets, so its plan digest is keyed like its manifest hash.
   */
  async function applyStored(input: ApplyInput, yaml: string, secretValues: readonly string[], digestKey: Keyring | undefined): Promise<ApplyResult> {
    const context = Context.current();
    const client = new KubeClient(deps.kubeConfig, context.cancellationSignal, undefined, input.impersonate);
    const tenant: Tenant = { project: input.project, environment: input.environment, fieldManager: environmentFieldManager(input.project, input.environment) };
    const run: ApplyRun = { input, tenant, dryRun: input.dryRun ?? false, secretValues, client, discovery: new Discovery(client), context };
    const rendered = parseManifests(yaml);

    const planned = await planObjects(run, rendered);
    await assertWithinPolicy(deps.pool, input, planned);
    const plan = planDigest(planned, digestKey);
    const last = input.onlyDrifted && !run.dryRun ? await loadAppliedObjects(deps.pool, input.project, input.environment) : undefined;
    // The same objects as last time: only what someone changed since needs applying, and nothing
    // was dropped, so there is nothing to prune. Anything else is a full apply.
    if (last && last.plan === plan) {
      const drifted = await driftedSince(run, rendered, planned, last);
      if (drifted.length === 0) return { changes: rendered.map((object) => ({ ref: refOf(planned.get(object)!.prepared), action: 'unchanged' })), changed: false };
      const namespaceCreated = await ensureEnvironmentNamespace(run, rendered);
      const applied = await applyRender(run, drifted, planned);
      await saveAppliedObjects(deps.pool, input.project, input.environment, { plan, fields: { ...last.fields, ...Object.fromEntries(applied.fields) } });
      const changedKeys = new Map(applied.changes.map((change) => [refKey(change.ref), change]));
      const changes = rendered.map((object): ChangeSetEntry => {
        const ref = refOf(planned.get(object)!.prepared);
        return changedKeys.get(refKey(ref)) ?? { ref, action: 'unchanged' };
      });
      if (namespaceCreated) changes.unshift(namespaceCreated);
      return { changes, changed: changes.some((change) => change.action !== 'unchanged') };
    }
    const namespaceCreated = await ensureEnvironmentNamespace(run, rendered);
    // The last inventory is read while the objects are applied: only this environment's apply
    // writes it, after its prune. A failed read fails the prune, where it is awaited.
    const previous = readInventory(client, input.namespace, input.project, input.environment);
    previous.catch(() => undefined);
    const applied = await applyRender(run, rendered, planned);
    const pruned = await pruneDropped(run, applied, await previous);
    // The namespace made for the environment stays out of the inventory: it is never pruned
    // with everything in it.
    const appliedRefs = applied.changes.map((change) => change.ref);
    if (namespaceCreated) applied.changes.unshift(namespaceCreated);
    // Recorded only after pruning succeeded: a failed prune is retried from the old inventory.
    if (!run.dryRun) {
      await writeInventory(client, input.namespace, tenant, appliedRefs);
      await saveAppliedObjects(deps.pool, input.project, input.environment, { plan, fields: Object.fromEntries(applied.fields) });
    }

    const changes = [...applied.changes, ...pruned];
    return { changes, changed: changes.some((change) => change.action !== 'unchanged') };
  }
}

/** A digest of every object exactly as it is applied: equal digests, equal applies. Keyed when the objects hold secrets. */
function planDigest(planned: Map<KubeObject, PlannedObject>, key?: Keyring): string {
  const hash = key ? keyedHash(key, 'applied-plan') : createHash('sha256');
  for (const { prepared } of planned.values()) hash.update(JSON.stringify(prepared)).update('\n');
  return hash.digest('hex');
}

/**
 * The objects of the render that are not as the last apply left them: deleted, or with fields the
 * environment applied taken by someone else (the environment's managed-fields entry changed).
 */
async function driftedSince({ tenant, client, discovery }: ApplyRun, rendered: KubeObject[], planned: Map<KubeObject, PlannedObject>, last: AppliedObjects): Promise<KubeObject[]> {
  const drifted = await mapConcurrently(rendered, APPLY_CONCURRENCY, async (object) => {
    const { prepared } = planned.get(object)!;
    const recorded = last.fields[refKey(refOf(prepared))];
    const resource = await discovery.resolve(object.apiVersion, object.kind);
    if (!recorded || !resource) return true;
    let live: KubeObject | undefined;
    try {
      live = await readObject(client, objectPath(resource, prepared));
    } catch (error) {
      throw applyFailure(error, refOf(prepared));
    }
    return !live || live.metadata.deletionTimestamp !== undefined || appliedFieldsDigest(live, tenant.fieldManager) !== recorded;
  });
  return rendered.filter((_, index) => drifted[index]);
}

interface PlannedObject {
  /** the object as it will be applied: namespace filled in, labels set */
  prepared: KubeObject;
  namespaced: boolean;
}

/** Every object as it will be applied, keyed by its rendered identity, before anything is applied. */
async function planObjects({ input, discovery }: ApplyRun, rendered: KubeObject[]): Promise<Map<KubeObject, PlannedObject>> {
  const labels = environmentLabels(input.project, input.environment);
  const planned = new Map<KubeObject, PlannedObject>();
  const keys = new Set<string>();
  for (const object of rendered) {
    const resource = await discovery.resolve(object.apiVersion, object.kind);
    // A kind that a CRD of this render defines is not served before that CRD is applied.
    const scopeFromRender = resource ? undefined : scopeDefinedByCrds(rendered, object.apiVersion, object.kind);
    if (!resource && !scopeFromRender) throw unknownKind(refOf(object));
    const namespaced = resource ? resource.namespaced : scopeFromRender === 'Namespaced';
    const prepared = prepareForApply(object, namespaced, { namespace: input.namespace, labels, omitReplicas: input.omitReplicas });
    // The manifest parser compared objects as written; with the namespace filled in, an object
    // written once without and once with the environment's namespace is one object too.
    const key = refKey(refOf(prepared));
    if (keys.has(key)) throw ApplicationFailure.nonRetryable(`${describeRef(refOf(prepared))} appears more than once in the render`, 'InvalidManifest');
    keys.add(key);
    planned.set(object, { prepared, namespaced });
  }
  return planned;
}

/** Refuses the whole render, before anything is applied, when any object breaks the project's policy. */
async function assertWithinPolicy(pool: ActivityDeps['pool'], input: ApplyInput, planned: Map<KubeObject, PlannedObject>): Promise<void> {
  const objects: PolicyObject[] = [...planned.values()].map(({ prepared, namespaced }) => ({
    group: apiGroup(prepared.apiVersion),
    kind: prepared.kind,
    name: prepared.metadata.name,
    namespace: namespaced ? prepared.metadata.namespace : undefined,
  }));
  const namespaces = [input.namespace, ...objects.map((o) => o.namespace ?? (o.kind === 'Namespace' && o.group === '' ? o.name : undefined))].filter(
    (n): n is string => n !== undefined,
  );
  const [policy, owners] = await Promise.all([loadProjectPolicy(pool, input.project), namespaceOwners(pool, namespaces)]);
  const violations = policyViolations(objects, { project: input.project, namespace: input.namespace, policy, namespaceOwners: owners });
  if (violations.length === 0) return;
  throw ApplicationFailure.create({
    type: 'PolicyViolation',
    nonRetryable: true,
    message: `nothing was applied: ${violations.map((v) => `${v.object}: ${v.rule}`).join('; ')}`,
    details: [{ violations }],
  });
}

/**
 * The environment's namespace, created (like Argo CD's CreateNamespace) when it does not exist
 * and the render does not bring it. An existing one is left alone: an administrator usually makes
 * it, with the team's RBAC, before the environment is registered. It carries no environment
 * label, so pruning never removes it with everything in it.
 */
async function ensureEnvironmentNamespace({ input, tenant, dryRun, client, discovery }: ApplyRun, rendered: KubeObject[]): Promise<ChangeSetEntry | undefined> {
  if (dryRun) return undefined;
  if (rendered.some((object) => groupKind(object) === '/Namespace' && object.metadata.name === input.namespace)) return undefined;
  const resource = await discovery.resolve('v1', 'Namespace');
  if (!resource) throw unknownKind({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace });
  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: input.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
  };
  try {
    if (await readObject(client, objectPath(resource, namespace))) return undefined;
  } catch (error) {
    // A service account bound to its namespace may not read Namespaces: the namespace is the
    // administrator's to create then, and a missing one fails the first apply, naming it.
    if (error instanceof KubeApiError && error.code === 403) return undefined;
    throw error;
  }
  const { action } = await applyObject(client, resource, namespace, { tenant, force: false, dryRun: false });
  return action === 'created' ? { ref: refOf(namespace), action } : undefined;
}

// Objects of one apply tier (see src/k8s/order.ts) depend on none of each other, so they are
// applied this many at a time; tiers still go one after another.
const APPLY_CONCURRENCY = 8;

async function applyRender({ input, tenant, dryRun, secretValues, client, discovery, context }: ApplyRun, rendered: KubeObject[], planned: Map<KubeObject, PlannedObject>): Promise<AppliedRender> {
  const result: AppliedRender = { changes: [], fields: new Map(), keys: new Set(), namespacedKinds: [] };
  // Dry run only: Namespaces the apply would create. What goes into them is reported as created
  // rather than dry-run applied, which would fail on the missing namespace.
  const namespacesToCreate = new Set<string>();

  const applyOne = async (object: KubeObject): Promise<ChangeSetEntry> => {
    const { prepared, namespaced } = planned.get(object)!;
    // Resolved again: a custom resource's kind is served once its CRD (applied earlier) is established.
    const resource = await discovery.resolve(object.apiVersion, object.kind);
    if (!resource && !dryRun) throw unknownKind(refOf(object));
    const ref = refOf(prepared);
    result.keys.add(refKey(ref));
    if (namespaced) result.namespacedKinds.push({ apiVersion: object.apiVersion, kind: object.kind });
    if (!resource || (dryRun && namespacesToCreate.has(prepared.metadata.namespace ?? ''))) return { ref, action: 'created' };
    const { action, result: applied, diff } = await applyObject(client, resource, prepared, { tenant, force: input.forceConflicts, dryRun, secretValues });
    const fields = applied && !dryRun ? appliedFieldsDigest(applied, tenant.fieldManager) : undefined;
    if (fields) result.fields.set(refKey(ref), fields);
    if (dryRun && action === 'created' && groupKind(prepared) === '/Namespace') namespacesToCreate.add(ref.name);
    // Custom resources of this CRD come in a later tier and need the kind served.
    if (!dryRun && isCrd(prepared)) await waitForCrdEstablished(client, ref.name, { sleep: (ms) => context.sleep(ms) });
    // Field changes go back only to whom asked: a real apply's result reaches the workflow.
    return diff && (dryRun || input.withDiff) ? { ref, action, diff } : { ref, action };
  };

  for (const tier of applyTiers(rendered)) {
    // A dry run learns from each Namespace it would create, so it goes one object at a time.
    const changes = await mapConcurrently(tier, dryRun ? 1 : APPLY_CONCURRENCY, applyOne);
    result.changes.push(...changes);
    context.heartbeat({ step: 'apply', done: result.changes.length, total: rendered.length });
  }
  return result;
}

/** `work` over `items` with at most `limit` running at once; results in the order of `items`. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Deletes (or, in a dry run, only reports) what this environment owns and the render dropped. */
async function pruneDropped({ input, tenant, dryRun, client, discovery, context }: ApplyRun, applied: AppliedRender, previous: ObjectRef[]): Promise<ChangeSetEntry[]> {
  const candidates = await findPruneCandidates(client, discovery, {
    namespace: input.namespace,
    tenant,
    keep: applied.keys,
    previous,
    renderedKinds: applied.namespacedKinds,
  });
  const pruned: ChangeSetEntry[] = [];
  for (const candidate of candidates) {
    if (dryRun || (await deleteObject(client, candidate.path))) pruned.push({ ref: candidate.ref, action: 'pruned' });
    context.heartbeat({ step: 'prune', done: pruned.length, total: candidates.length });
  }
  return pruned;
}
