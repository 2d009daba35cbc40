// The apply stage: loads the rendered manifest by hash, server-side applies every object with the
// field manager `deployer` (Namespaces and CRDs first), then prunes what the environment owns but
// the render dropped. The change set says per object what happened; with `dryRun` nothing is
// persisted and it is the drift report, judged on the fields the deployer manages.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { loadRenderedManifest } from '../src/db/manifests.js';
import { applyObject } from '../src/k8s/apply-object.js';
import { KubeClient } from '../src/k8s/client.js';
import { isCrd, scopeDefinedByCrds, waitForCrdEstablished } from '../src/k8s/crd.js';
import { Discovery, unknownKind } from '../src/k8s/discovery.js';
import { readInventory, writeInventory } from '../src/k8s/inventory.js';
import { describeRef, environmentLabels, groupKind, MANAGED_BY_LABEL, MANAGED_BY_VALUE, parseManifests, refKey, refOf, type KubeObject } from '../src/k8s/objects.js';
import { applyOrder } from '../src/k8s/order.js';
import { prepareForApply } from '../src/k8s/prepare.js';
import { deleteObject, findPruneCandidates } from '../src/k8s/prune.js';
import type { ActivityDeps } from './index.js';
import type { ApplyInput, ApplyResult, ChangeSetEntry } from './types.js';

/** What one applyManifests call works with. */
interface ApplyRun {
  input: ApplyInput;
  dryRun: boolean;
  client: KubeClient;
  discovery: Discovery;
  context: Context;
}

interface AppliedRender {
  changes: ChangeSetEntry[];
  /** refKeys of every object of the render: never pruned */
  keys: Set<string>;
  /** namespaced kinds of the render, for the prune scan */
  namespacedKinds: Array<{ apiVersion: string; kind: string }>;
}

export function createApplyActivities(deps: Pick<ActivityDeps, 'pool' | 'kubeConfig'>) {
  return {
    async applyManifests(input: ApplyInput): Promise<ApplyResult> {
      const context = Context.current();
      const client = new KubeClient(deps.kubeConfig, context.cancellationSignal);
      const run: ApplyRun = { input, dryRun: input.dryRun ?? false, client, discovery: new Discovery(client), context };
      const rendered = parseManifests(await loadRenderedManifest(deps.pool, input.manifestHash));

      const namespaceCreated = await ensureEnvironmentNamespace(run, rendered);
      const applied = await applyRender(run, rendered);
      if (namespaceCreated) applied.changes.unshift(namespaceCreated);
      const pruned = await pruneDropped(run, applied);
      const appliedRefs = applied.changes.map((change) => change.ref);
      // Recorded only after pruning succeeded: a failed prune is retried from the old inventory.
      if (!run.dryRun) await writeInventory(client, input.namespace, input.project, input.environment, appliedRefs);

      const changes = [...applied.changes, ...pruned];
      return { changes, changed: changes.some((change) => change.action !== 'unchanged') };
    },
  };
}

/**
 * The environment's namespace, created (like Argo CD's CreateNamespace) when the render does not
 * bring it. It carries no environment label, so pruning never removes it with everything in it.
 */
async function ensureEnvironmentNamespace({ input, dryRun, client, discovery }: ApplyRun, rendered: KubeObject[]): Promise<ChangeSetEntry | undefined> {
  if (dryRun) return undefined;
  if (rendered.some((object) => groupKind(object) === '/Namespace' && object.metadata.name === input.namespace)) return undefined;
  const resource = await discovery.resolve('v1', 'Namespace');
  if (!resource) throw unknownKind({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace });
  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: input.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
  };
  const { action } = await applyObject(client, resource, namespace, { force: false, dryRun: false });
  return action === 'created' ? { ref: refOf(namespace), action } : undefined;
}

async function applyRender({ input, dryRun, client, discovery, context }: ApplyRun, rendered: KubeObject[]): Promise<AppliedRender> {
  const labels = environmentLabels(input.project, input.environment);
  const result: AppliedRender = { changes: [], keys: new Set(), namespacedKinds: [] };
  // Dry run only: Namespaces the apply would create. What goes into them is reported as created
  // rather than dry-run applied, which would fail on the missing namespace.
  const namespacesToCreate = new Set<string>();

  for (const object of applyOrder(rendered)) {
    const resource = await discovery.resolve(object.apiVersion, object.kind);
    const scopeFromRender = !resource && dryRun ? scopeDefinedByCrds(rendered, object.apiVersion, object.kind) : undefined;
    if (!resource && !scopeFromRender) throw unknownKind(refOf(object));
    const namespaced = resource ? resource.namespaced : scopeFromRender === 'Namespaced';

    const prepared = prepareForApply(object, namespaced, { namespace: input.namespace, labels, omitReplicas: input.omitReplicas });
    const ref = refOf(prepared);
    if (result.keys.has(refKey(ref))) {
      throw ApplicationFailure.nonRetryable(`${describeRef(ref)} appears more than once in the render`, 'InvalidManifest');
    }
    result.keys.add(refKey(ref));
    if (namespaced) result.namespacedKinds.push({ apiVersion: object.apiVersion, kind: object.kind });

    if (!resource || (dryRun && namespacesToCreate.has(prepared.metadata.namespace ?? ''))) {
      result.changes.push({ ref, action: 'created' });
    } else {
      const { action } = await applyObject(client, resource, prepared, { force: input.forceConflicts, dryRun });
      result.changes.push({ ref, action });
      if (dryRun && action === 'created' && groupKind(prepared) === '/Namespace') namespacesToCreate.add(ref.name);
      // Custom resources of this CRD come later in the apply order and need the kind served.
      if (!dryRun && isCrd(prepared)) await waitForCrdEstablished(client, ref.name, { sleep: (ms) => context.sleep(ms) });
    }
    context.heartbeat({ step: 'apply', done: result.changes.length, total: rendered.length });
  }
  return result;
}

/** Deletes (or, in a dry run, only reports) what this environment owns and the render dropped. */
async function pruneDropped({ input, dryRun, client, discovery, context }: ApplyRun, applied: AppliedRender): Promise<ChangeSetEntry[]> {
  const candidates = await findPruneCandidates(client, discovery, {
    namespace: input.namespace,
    project: input.project,
    environment: input.environment,
    keep: applied.keys,
    previous: await readInventory(client, input.namespace, input.project, input.environment),
    renderedKinds: applied.namespacedKinds,
  });
  const pruned: ChangeSetEntry[] = [];
  for (const candidate of candidates) {
    if (dryRun || (await deleteObject(client, candidate.path))) pruned.push({ ref: candidate.ref, action: 'pruned' });
    context.heartbeat({ step: 'prune', done: pruned.length, total: candidates.length });
  }
  return pruned;
}
