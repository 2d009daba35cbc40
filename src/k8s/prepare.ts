// Turns a rendered object into the apply configuration the deployer sends: in the environment's
// namespace unless it names one, labelled as ours, and without spec.replicas when an autoscaler
// owns them. Pure, so the rules are tested without a cluster.
import { isScalableWorkload } from '../domain/kube-object.js';
import type { KubeObject } from './objects.js';

export interface PrepareOptions {
  /** the environment's namespace, for namespaced objects that name none */
  namespace: string;
  /** merged over the object's own labels (ours win: they decide what pruning may touch) */
  labels: Record<string, string>;
  /** drop spec.replicas of Deployments and StatefulSets, so the HPA and the deployer never fight over it */
  omitReplicas: boolean;
}

// Written by the server; present when YAML was copied from `kubectl get -o yaml`. A stale
// resourceVersion would turn the apply into an optimistic-concurrency update that fails.
const serverOwnedMetadata = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp'];

export function prepareForApply(object: KubeObject, namespaced: boolean, options: PrepareOptions): KubeObject {
  const prepared = structuredClone(object);
  const metadata = prepared.metadata;
  for (const field of serverOwnedMetadata) delete metadata[field];
  if (namespaced) metadata.namespace ||= options.namespace;
  // Templates often stamp a namespace on everything; a cluster-scoped object must not carry one.
  else delete metadata.namespace;
  // Only the object's own labels: a workload's pod template labels feed its selector and stay as rendered.
  metadata.labels = { ...metadata.labels, ...options.labels };

  if (options.omitReplicas && isScalableWorkload(prepared)) {
    const spec = prepared.spec as Record<string, unknown> | undefined;
    if (spec) delete spec.replicas;
  }
  return prepared;
}
