// Object identities of rendered documents, as the rest of the deployment refers to them.
import { DeployerError, InvalidManifest } from '../domain/errors.js';
import type { ObjectRef } from '../domain/vocabulary.js';
import type { ManifestDocument } from '../manifest/parse.js';

// Whether a kind is namespaced is really the API server's to say (discovery); rendering runs
// without a cluster, so the common cluster-scoped kinds are listed and every other kind is taken
// to be namespaced.
export const clusterScopedKinds: ReadonlySet<string> = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
]);

// Identity ignores the version: apps/v1 and apps/v1beta1 Deployments of one name are one object.
function identity(ref: ObjectRef): string {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash === -1 ? '' : ref.apiVersion.slice(0, slash);
  return [group, ref.kind, ref.namespace ?? '', ref.name].join('|');
}

function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * The refs of the documents; namespaced kinds without a namespace get `defaultNamespace`, as the
 * apply will. Two documents for the same object are refused: one would silently overwrite the other.
 */
export function objectRefsOf(documents: readonly ManifestDocument[], defaultNamespace: string, file: string): ObjectRef[] {
  const seen = new Map<string, string>();
  return documents.map(({ object, index, item, line }) => {
    const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
    if (!clusterScopedKinds.has(object.kind)) ref.namespace = object.metadata.namespace ?? defaultNamespace;
    const key = identity(ref);
    const earlier = seen.get(key);
    const here = item === undefined ? `document ${index}` : `document ${index} item ${item}`;
    if (earlier !== undefined) {
      throw new DeployerError(InvalidManifest, `${file}: ${here} (rendered line ${line}) declares ${describeRef(ref)} again; ${earlier} already does`);
    }
    seen.set(key, here);
    return ref;
  });
}
