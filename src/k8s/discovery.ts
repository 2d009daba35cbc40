// Resolves apiVersion + kind to the REST resource and its scope through the API's discovery, so
// any kind the cluster serves works — custom resources included — without a table of our own.
// One Discovery lives for one activity call: a CRD created by this apply is found by refetching
// its group version, and a CRD created by someone else is found by the next call.
import type { ObjectRef } from '../domain/vocabulary.js';
import { isNotFound, type KubeClient } from './client.js';
import { apiGroup, apiVersionOnly, describeRef } from './objects.js';
import { DeployerError, userError } from '../domain/errors.js';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** plural resource name used in URLs, e.g. `deployments` */
  resource: string;
  namespaced: boolean;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export class Discovery {
  /** group version → its resources, or null when the cluster does not serve that group version */
  private readonly cache = new Map<string, Promise<ApiResource[] | null>>();

  constructor(private readonly client: KubeClient) {}

  /** The resource serving `kind` in `apiVersion`, or undefined when the cluster serves no such kind. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let found = (await this.resources(apiVersion))?.find((r) => r.kind === kind);
    if (!found && this.cache.has(apiVersion)) {
      // The cached answer may predate a CRD established since; ask once more before giving up.
      this.cache.delete(apiVersion);
      found = (await this.resources(apiVersion))?.find((r) => r.kind === kind);
    }
    if (!found) return undefined;
    return {
      group: apiGroup(apiVersion),
      version: apiVersionOnly(apiVersion),
      kind,
      resource: found.name,
      namespaced: found.namespaced,
    };
  }

  private resources(apiVersion: string): Promise<ApiResource[] | null> {
    let pending = this.cache.get(apiVersion);
    if (!pending) {
      pending = this.fetch(apiVersion);
      // A failed request is not an answer: drop it so the next resolve asks again.
      pending.catch(() => {
        if (this.cache.get(apiVersion) === pending) this.cache.delete(apiVersion);
      });
      this.cache.set(apiVersion, pending);
    }
    return pending;
  }

  private async fetch(apiVersion: string): Promise<ApiResource[] | null> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const list = await this.client.get<{ resources?: ApiResource[] }>(path);
      // Subresources (`deployments/scale`) share the kind of their parent or another; skip them.
      return (list.resources ?? []).filter((r) => !r.name.includes('/'));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}

/** The non-retryable failure for an object whose kind the cluster does not serve. */
export function unknownKind(ref: ObjectRef): DeployerError {
  return userError(
    `${describeRef(ref)}: the cluster serves no kind ${ref.kind} in apiVersion ${ref.apiVersion}` +
      ' (a typo, a removed API version, or a CRD that is not installed)',
    'UnknownKind',
  );
}
