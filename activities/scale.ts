// The scale stage: "stop" scales the environment's Deployments and StatefulSets to zero and
// remembers each one's replica count in an annotation; "resume" puts the counts back.
//
// Replicas change through the scale subresource, as an HPA or `kubectl scale` would, under the
// field manager `deployer-scale`; the annotation is a merge patch on a field `deployer` never
// applies. The API server may record deployer-scale as the owner of spec.replicas (whether it
// does depends on the sequence of scale calls), and while it owns the field an apply by
// `deployer` setting another count fails with a field conflict — right while stopped (a deploy
// must not silently undo a stop), wrong for ever after. So resume ends the ownership: it removes
// deployer-scale's managedFields entries, leaving spec.replicas to the next apply or the HPA.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { KubeClient, resourceUrlPath } from '../src/k8s/client.js';
import { describeRef, environmentSelector, type KubeObject } from '../src/k8s/objects.js';
import type { ActivityDeps } from './index.js';
import { runStep } from './step.js';
import { scalableWorkloads } from '../src/domain/kube-object.js';
import { environmentFieldManager } from '../src/domain/tenancy.js';
import { prunable } from '../src/k8s/ownership.js';
import type { ObjectRef, ScaleInput, ScaleResult } from './types.js';

export const REPLICAS_BEFORE_STOP_ANNOTATION = 'deployer.dev/replicas-before-stop';
/** Field manager of the scale and annotation patches; distinct from `deployer`, which applies manifests. */
const SCALE_FIELD_MANAGER = 'deployer-scale';

interface ScalableObject extends KubeObject {
  spec?: { replicas?: number };
}

export function createScaleActivities(deps: Pick<ActivityDeps, 'kubeConfig'>) {
  return {
    scaleWorkloads(input: ScaleInput): Promise<ScaleResult> {
      return runStep(() => scaleWorkloads(input));
    },
  };

  async function scaleWorkloads(input: ScaleInput): Promise<ScaleResult> {
    const context = Context.current();
    const client = new KubeClient(deps.kubeConfig, context.cancellationSignal, undefined, input.impersonate);
    const scaled: ScaleResult['scaled'] = [];
    const tenant = { project: input.project, environment: input.environment, fieldManager: environmentFieldManager(input.project, input.environment) };
    for (const { kind, resource } of scalableWorkloads) {
      const collection = { group: 'apps', version: 'v1', resource, namespace: input.namespace };
      const list = await client.get<{ items?: ScalableObject[] }>(resourceUrlPath(collection), {
        labelSelector: environmentSelector(input.project, input.environment),
      });
      for (const object of list.items ?? []) {
        // Labels alone decide nothing: only workloads this environment created are scaled.
        if (!prunable(object, tenant)) continue;
        const ref: ObjectRef = { apiVersion: 'apps/v1', kind, name: object.metadata.name, namespace: input.namespace };
        const path = resourceUrlPath({ ...collection, name: object.metadata.name });
        const change = input.action === 'stop' ? await stop(client, path, object) : await resume(client, path, object, ref);
        if (change) scaled.push({ ref, ...change });
        context.heartbeat({ scaled: scaled.length });
      }
    }
    return { scaled };
  }
}

async function setReplicas(client: KubeClient, path: string, replicas: number): Promise<void> {
  await client.patch(`${path}/scale`, 'merge', { spec: { replicas } }, { fieldManager: SCALE_FIELD_MANAGER });
}

async function annotate(client: KubeClient, path: string, value: string | null): Promise<void> {
  const body = { metadata: { annotations: { [REPLICAS_BEFORE_STOP_ANNOTATION]: value } } };
  await client.patch(path, 'merge', body, { fieldManager: SCALE_FIELD_MANAGER });
}

/**
 * Records the count, then scales to zero. Already at zero: nothing to do, which keeps the count a
 * first stop recorded when stop runs twice. Interrupted between the two steps, a retry records
 * the same (still unchanged) count again.
 */
async function stop(client: KubeClient, path: string, object: ScalableObject): Promise<{ from: number; to: number } | undefined> {
  const replicas = object.spec?.replicas ?? 1;
  if (replicas === 0) return undefined;
  await annotate(client, path, String(replicas));
  await setReplicas(client, path, 0);
  return { from: replicas, to: 0 };
}

/** Restores the recorded count, then forgets it; a workload without the annotation was not stopped by us. */
async function resume(
  client: KubeClient,
  path: string,
  object: ScalableObject,
  ref: ObjectRef,
): Promise<{ from: number; to: number } | undefined> {
  const recorded = object.metadata.annotations?.[REPLICAS_BEFORE_STOP_ANNOTATION];
  if (recorded === undefined) return undefined;
  const target = Number(recorded);
  if (!Number.isInteger(target) || target < 0) {
    // Edited by hand into something unusable; retrying cannot fix it.
    throw ApplicationFailure.nonRetryable(
      `${describeRef(ref)}: annotation ${REPLICAS_BEFORE_STOP_ANNOTATION}="${recorded}" is not a replica count; set it to the count to resume to`,
      'InvalidAnnotation',
    );
  }
  const replicas = object.spec?.replicas ?? 1;
  if (replicas !== target) await setReplicas(client, path, target);
  await annotate(client, path, null);
  await releaseOwnership(client, path);
  return { from: replicas, to: target };
}

/**
 * Drops the managedFields entries of deployer-scale (the server accepts edits of managedFields;
 * a field nobody owns keeps its value). Each removal is guarded by a test of the entry's manager,
 * so a concurrent change fails the patch (422, retried) instead of removing someone else's entry.
 */
async function releaseOwnership(client: KubeClient, path: string): Promise<void> {
  const current = await client.get<KubeObject>(path);
  const operations = (current.metadata.managedFields ?? [])
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => entry.manager === SCALE_FIELD_MANAGER)
    .reverse()
    .flatMap(({ index }) => [
      { op: 'test', path: `/metadata/managedFields/${index}/manager`, value: SCALE_FIELD_MANAGER },
      { op: 'remove', path: `/metadata/managedFields/${index}` },
    ]);
  if (operations.length > 0) await client.patch(path, 'json', operations);
}
