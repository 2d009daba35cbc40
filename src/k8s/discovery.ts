// Resolves apiVersion + kind to the REST resource and its scope through the API's discovery, so
// any kind the cluster serves works — custom resources included — without a table of our own.
// Answers are shared by every activity of the process for a minute (a deploy of 1,000
// environments asks the same few group versions once, not 1,000 times); a kind that is not in a
// cached answer is asked for again at once, so a CRD created since is found without waiting.
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

/** How long a discovery answer is reused. */
export const DISCOVERY_TTL_MS = 60_000;

interface CachedAnswer {
  answer: Promise<ApiResource[] | null>;
  at: number;
}

/** group version → its resources (or null when not served), per API server, shared by the process */
const sharedCaches = new Map<string, Map<string, CachedAnswer>>();

class AnswerCache {
  constructor(private readonly entries: Map<string, CachedAnswer>) {}
  has(apiVersion: string): boolean {
    return this.get(apiVersion) !== undefined;
  }
  get(apiVersion: string): Promise<ApiResource[] | null> | undefined {
    const entry = this.entries.get(apiVersion);
    if (entry && Date.now() - entry.at > DISCOVERY_TTL_MS) this.entries.delete(apiVersion);
    return this.entries.get(apiVersion)?.answer;
  }
  set(apiVersion: string, answer: Promise<ApiResource[] | null>): void {
    this.entries.set(apiVersion, { answer, at: Date.now() });
  }
  delete(apiVersion: string): void {
    this.entries.delete(apiVersion);
  }
}

export class Discovery {
  private readonly cache: AnswerCache;

  constructor(private readonly client: KubeClient) {
    let entries = sharedCaches.get(client.serverUrl);
    if (!entries) sharedCaches.set(client.serverUrl, (entries = new Map()));
    this.cache = new AnswerCache(entries);
  }

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
