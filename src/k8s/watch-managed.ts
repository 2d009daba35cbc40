// Watches every object the deployer manages, across namespaces, one list-then-watch per kind
// (label selector app.kubernetes.io/managed-by=deployer), the way an informer does: a list gives
// the state and a resourceVersion, the watch streams changes from there, bookmarks keep the
// version fresh, and a version the server no longer has (410 Gone) means listing again. A watch
// that breaks (API server restart, timeout) resumes from its last version.
import * as k8s from '@kubernetes/client-node';
import type { WatchedObject } from '../domain/drift-events.js';
import { KubeApiError, KubeClient, resourceUrlPath } from './client.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './objects.js';

export interface WatchedKind {
  kind: string;
  group: string;
  version: string;
  resource: string;
}

export interface ManagedObjectHandlers {
  /** a full list of one kind: what exists now (after a start without a version, or a 410) */
  onList(kind: string, objects: WatchedObject[]): void;
  onChange(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: WatchedObject): void;
  /** a watch broke or a list failed; it is retried with backoff */
  onError?(kind: string, error: unknown): void;
}

const SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
// The server ends a watch after this long at the latest; we then resume from the last version.
const WATCH_SECONDS = 300;
const MAX_BACKOFF_MS = 10_000;

export class ManagedObjectWatch {
  private stopped = false;
  private readonly versions: Record<string, string>;
  private readonly aborts = new Set<AbortController>();
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly kinds: WatchedKind[],
    private readonly handlers: ManagedObjectHandlers,
    /** resourceVersion per kind to resume from (a watcher taking over); others start with a list */
    resumeFrom: Record<string, string> = {},
  ) {
    this.versions = { ...resumeFrom };
  }

  start(): void {
    for (const kind of this.kinds) this.loops.push(this.run(kind));
  }

  /** The last resourceVersion seen per kind: where a successor resumes. */
  resourceVersions(): Record<string, string> {
    return { ...this.versions };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const abort of this.aborts) abort.abort();
    await Promise.all(this.loops);
  }

  private async run(kind: WatchedKind): Promise<void> {
    const client = new KubeClient(this.kubeConfig);
    const path = resourceUrlPath({ group: kind.group, version: kind.version, resource: kind.resource });
    for (let failures = 0; !this.stopped; ) {
      try {
        if (this.versions[kind.kind] === undefined) {
          const list = await client.get<{ metadata?: { resourceVersion?: string }; items?: WatchedObject[] }>(path, { labelSelector: SELECTOR });
          this.handlers.onList(kind.kind, (list.items ?? []).map((item) => ({ ...item, kind: kind.kind })));
          this.versions[kind.kind] = list.metadata?.resourceVersion ?? '';
        }
        const gone = await this.watchOnce(kind, path);
        if (gone) delete this.versions[kind.kind];
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof KubeApiError && error.code === 410) delete this.versions[kind.kind];
        this.handlers.onError?.(kind.kind, error);
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures)));
      }
    }
  }

  /** One watch request until the server ends it; true when the version expired (410 Gone). */
  private watchOnce(kind: WatchedKind, path: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let expired = false;
      let abort: AbortController | undefined;
      const finish = (error: unknown) => {
        if (abort) this.aborts.delete(abort);
        if (error && !this.stopped && !expired) reject(error);
        else resolve(expired);
      };
      new k8s.Watch(this.kubeConfig)
        .watch(
          path,
          { labelSelector: SELECTOR, resourceVersion: this.versions[kind.kind], allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
          (type: string, object: WatchedObject & { metadata?: { resourceVersion?: string }; code?: number }) => {
            if (type === 'ERROR') {
              if (object.code === 410) expired = true;
              return;
            }
            const version = object.metadata?.resourceVersion;
            if (version) this.versions[kind.kind] = version;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.handlers.onChange(type, { ...object, kind: kind.kind });
          },
          finish,
        )
        .then((controller) => {
          abort = controller;
          this.aborts.add(controller);
          if (this.stopped) controller.abort();
        }, reject);
    });
  }
}
