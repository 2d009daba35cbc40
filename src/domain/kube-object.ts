// A Kubernetes object as the deployer handles it (plain JSON, exactly as rendered or as the API
// server returned it) and how objects are identified and named.
import type { ObjectRef } from './vocabulary.js';

export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function apiVersionOnly(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

/** `group/Kind`, with an empty group for the core API: how kinds are compared across versions. */
export function groupKind(object: { apiVersion: string; kind: string }): string {
  return `${apiGroup(object.apiVersion)}/${object.kind}`;
}

export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
  if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}

/** Identity of an object independent of the API version it was written in (apps/v1 and apps/v1beta2 are one object). */
export function refKey(ref: ObjectRef): string {
  return `${groupKind(ref)}/${ref.namespace ?? ''}/${ref.name}`;
}

/** How objects are named in messages: `Deployment shop/web`, `Namespace shop`. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * The workloads (group apps) whose replica count the deployer manages: scaled to zero on stop,
 * left to an autoscaler when the environment has one.
 */
export const scalableWorkloads = [
  { kind: 'Deployment', resource: 'deployments' },
  { kind: 'StatefulSet', resource: 'statefulsets' },
] as const;

export function isScalableWorkload(object: { apiVersion: string; kind: string }): boolean {
  return apiGroup(object.apiVersion) === 'apps' && scalableWorkloads.some((workload) => workload.kind === object.kind);
}
