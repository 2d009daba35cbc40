// Kubernetes objects as the deployer handles them: plain JSON parsed from the rendered YAML,
// their identities (ObjectRef) and the labels that mark what belongs to which environment.
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import type { ObjectRef } from '../domain/vocabulary.js';
import { kubeParseOptions } from '../render/kube-yaml.js';
import { DeployerError, userError } from '../domain/errors.js';

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

/**
 * The field manager every environment shared before each got its own (tenancy.ts'
 * environmentFieldManager); objects still carrying it are moved to their environment's manager.
 */
export const LEGACY_FIELD_MANAGER = 'deployer';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'deployer';
/** Which (project, environment) an object belongs to; pruning only ever touches its own. */
export const ENVIRONMENT_LABEL = 'deployer.dev/environment';

// Label values: at most 63 characters, alphanumerics plus '-', '_' and '.', alphanumeric at both ends.
const labelValuePattern = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

/**
 * `<project>.<environment>` when that is a valid label value (the readable, usual case); otherwise
 * a cleaned-up prefix plus a hash of both names, so any names still map to one stable value.
 */
export function environmentLabelValue(project: string, environment: string): string {
  const readable = `${project}.${environment}`;
  if (labelValuePattern.test(readable)) return readable;
  const hash = createHash('sha256').update(`${project}\0${environment}`).digest('hex').slice(0, 10);
  const prefix = readable.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 52).replace(/[^A-Za-z0-9]+$/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

export function environmentLabels(project: string, environment: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ENVIRONMENT_LABEL]: environmentLabelValue(project, environment) };
}

/** A label selector matching exactly the objects the deployer manages for this environment. */
export function environmentSelector(project: string, environment: string): string {
  return Object.entries(environmentLabels(project, environment))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export function belongsToEnvironment(object: Pick<KubeObject, 'metadata'>, project: string, environment: string): boolean {
  const labels = object.metadata.labels ?? {};
  return Object.entries(environmentLabels(project, environment)).every(([key, value]) => labels[key] === value);
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

function invalidManifest(message: string): DeployerError {
  return userError(message, 'InvalidManifest');
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(value: unknown, where: string): KubeObject {
  if (!isMapping(value)) throw invalidManifest(`${where}: a Kubernetes object must be a mapping`);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || !apiVersion) throw invalidManifest(`${where}: apiVersion is missing`);
  if (typeof kind !== 'string' || !kind) throw invalidManifest(`${where}: kind is missing`);
  if (!isMapping(metadata) || typeof metadata.name !== 'string' || !metadata.name) {
    throw invalidManifest(`${where}: ${kind} has no metadata.name`);
  }
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    throw invalidManifest(`${where}: ${kind} ${metadata.name} has a metadata.namespace that is not a string`);
  }
  return value as KubeObject;
}

/**
 * Parses multi-document YAML into objects. Empty documents are skipped and `List` kinds are
 * flattened (templates emit both); anything else malformed is a non-retryable InvalidManifest
 * naming the document and line, as is one object appearing twice.
 */
export function parseManifests(text: string): KubeObject[] {
  const lineCounter = new YAML.LineCounter();
  // YAML 1.1 as Kubernetes reads it (`0644` is octal, `yes` is true), the same as the render wrote it.
  const documents = YAML.parseAllDocuments(text, { ...kubeParseOptions, lineCounter });
  const objects: KubeObject[] = [];
  documents.forEach((document, index) => {
    const line = document.contents?.range ? lineCounter.linePos(document.contents.range[0]).line : undefined;
    const where = `document ${index + 1}${line ? ` (line ${line})` : ''}`;
    const error = document.errors[0];
    if (error) throw invalidManifest(`${where}: invalid YAML: ${error.message}`);
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (isMapping(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, i) => objects.push(checkObject(item, `${where}, item ${i + 1}`)));
      return;
    }
    objects.push(checkObject(value, where));
  });
  const seen = new Set<string>();
  for (const object of objects) {
    const key = refKey(refOf(object));
    if (seen.has(key)) throw invalidManifest(`${describeRef(refOf(object))} (${object.apiVersion}) appears more than once`);
    seen.add(key);
  }
  return objects;
}
