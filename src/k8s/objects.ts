// Kubernetes objects as the deployer handles them: plain JSON parsed from the rendered YAML,
// their identities (ObjectRef) and the labels that mark what belongs to which environment.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../domain/kube-object.js';
import { parseManifestDocuments } from '../manifest/parse.js';

export type { KubeObject, KubeObjectMeta, ManagedFieldsEntry } from '../domain/kube-object.js';
export { apiGroup, apiVersionOnly, describeRef, groupKind, refKey, refOf } from '../domain/kube-object.js';

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

/**
 * The stored manifest of a release as objects: read by the one manifest parser the render used,
 * numbers as JSON numbers (they are sent to the API server as JSON).
 */
export function parseManifests(text: string): KubeObject[] {
  return parseManifestDocuments(text, 'the rendered manifest', { exactIntegers: false }).map((document) => document.object);
}
