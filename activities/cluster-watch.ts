// The cluster watcher: one long activity (a singleton workflow keeps exactly one running, on
// whichever worker; when that worker dies another takes over within the heartbeat timeout) that
// watches every object the deployer manages and tells an environment to reconcile when someone
// else changed fields it applied or deleted one of its objects. Reports for one environment are
// gathered for a moment and sent as one signal. What it knows (a digest per object and the watch
// versions) travels in its heartbeats, so a successor resumes the watches where they were and
// compares against the same digests: nothing that happened in between is lost.
import { Context } from '@temporalio/activity';
import { driftBetween, latestOtherManagers, observe, type Drift, type ObservedObject, type WatchedObject } from '../src/domain/drift-events.js';
import { environmentFieldManager, isDeployerFieldManager, OWNER_ANNOTATION } from '../src/domain/tenancy.js';
import { Discovery } from '../src/k8s/discovery.js';
import { KubeClient } from '../src/k8s/client.js';
import { fieldsDigest } from '../src/k8s/managed-fields.js';
import { commonNamespacedKinds } from '../src/k8s/prune.js';
import { ManagedObjectWatch, type WatchedKind } from '../src/k8s/watch-managed.js';
import type { ActivityDeps } from './index.js';

// Reports for one environment within this window make one signal; a steady stream is still sent
// at least this often.
const GATHER_MS = 300;
const MAX_GATHER_MS = 1_000;
const HEARTBEAT_MS = 5_000;
const MAX_DETAIL = 1_000;
// Slugs, as projects and environments are registered (workflows/messages.ts isSlug).
const OWNER_VALUE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An observed object as carried in heartbeats: [uid, kind, owner, display, applied time, applied fields digest]. */
type CarriedObject = [string, string, string, string, string, string];

export interface ClusterWatchResume {
  versions: Record<string, string>;
  objects: CarriedObject[];
}

export interface WatchManagedObjectsInput {
  /** return after this long (the workflow continues as new with what is returned) */
  maxRunMs: number;
  resume?: ClusterWatchResume;
}

export interface WatchManagedObjectsResult {
  resume: ClusterWatchResume;
  signalled: number;
}

function fieldManagerOf(owner: string): string {
  const slash = owner.indexOf('/');
  return environmentFieldManager(owner.slice(0, slash), owner.slice(slash + 1));
}

export function createClusterWatchActivities(deps: Pick<ActivityDeps, 'kubeConfig' | 'signalReconcile'>) {
  return {
    async watchManagedObjects(input: WatchManagedObjectsInput): Promise<WatchManagedObjectsResult> {
      const context = Context.current();
      const resume = (context.info.heartbeatDetails as ClusterWatchResume | undefined) ?? input.resume;
      const known = new Map<string, ObservedObject & { kind: string }>();
      for (const [uid, kind, owner, display, time, fields] of resume?.objects ?? []) {
        known.set(uid, { uid, kind, owner, display, ...(time ? { applied: { time, fields } } : {}) });
      }

      const pending = new Map<string, { details: string[]; first: number; timer: NodeJS.Timeout }>();
      let signalled = 0;
      const send = (owner: string) => {
        const batch = pending.get(owner);
        if (!batch) return;
        pending.delete(owner);
        clearTimeout(batch.timer);
        const slash = owner.indexOf('/');
        // Object names and annotations are anyone's input in their namespace: the account is bounded.
        const joined = [...new Set(batch.details)].join('; ');
        const detail = joined.length > MAX_DETAIL ? `${joined.slice(0, MAX_DETAIL - 1)}…` : joined;
        void deps
          .signalReconcile({ project: owner.slice(0, slash), environment: owner.slice(slash + 1) }, { source: 'cluster', detail })
          .then((sent) => {
            if (sent) signalled += 1;
          })
          .catch(() => undefined); // the safety-net pass still comes; a lost report is not fatal
      };
      const report = (drift: Drift | undefined) => {
        if (!drift) return;
        const batch = pending.get(drift.owner);
        if (batch) {
          batch.details.push(drift.detail);
          clearTimeout(batch.timer);
          batch.timer = setTimeout(() => send(drift.owner), Date.now() - batch.first >= MAX_GATHER_MS ? 0 : GATHER_MS);
        } else {
          pending.set(drift.owner, { details: [drift.detail], first: Date.now(), timer: setTimeout(() => send(drift.owner), GATHER_MS) });
        }
      };
      // Only "<project>/<environment>" owners count; anything else is not an environment's object.
      const observed = (object: WatchedObject) => {
        const seen = observe(object, OWNER_ANNOTATION, fieldManagerOf, fieldsDigest);
        return seen && OWNER_VALUE.test(seen.owner) ? seen : undefined;
      };

      const watch = new ManagedObjectWatch(
        deps.kubeConfig,
        await servedKinds(new KubeClient(deps.kubeConfig, context.cancellationSignal)),
        {
          onList(kind, objects) {
            const listed = new Set<string>();
            for (const object of objects) {
              const now = observed(object);
              if (!now) continue;
              listed.add(now.uid);
              report(driftBetween(known.get(now.uid), now, latestOtherManagers(object, isDeployerFieldManager)));
              known.set(now.uid, { ...now, kind });
            }
            // Gone since we last knew: deleted while nobody watched.
            for (const [uid, before] of known) {
              if (before.kind === kind && !listed.has(uid)) {
                report(driftBetween(before, undefined));
                known.delete(uid);
              }
            }
          },
          onChange(type, object) {
            const now = observed(object);
            if (!now) return;
            if (type === 'DELETED') {
              report(driftBetween(known.get(now.uid) ?? now, undefined));
              known.delete(now.uid);
              return;
            }
            report(driftBetween(known.get(now.uid), now, latestOtherManagers(object, isDeployerFieldManager)));
            known.set(now.uid, { ...now, kind: object.kind ?? '' });
          },
        },
        resume?.versions,
      );
      const carried = (): ClusterWatchResume => ({
        versions: watch.resourceVersions(),
        objects: [...known.values()].map((o) => [o.uid, o.kind, o.owner, o.display, o.applied?.time ?? '', o.applied?.fields ?? '']),
      });

      watch.start();
      const heartbeat = setInterval(() => context.heartbeat(carried()), HEARTBEAT_MS);
      try {
        await context.sleep(input.maxRunMs).catch((error: unknown) => {
          if (!context.cancellationSignal.aborted) throw error;
        });
      } finally {
        clearInterval(heartbeat);
        await watch.stop();
        for (const owner of [...pending.keys()]) send(owner);
      }
      return { resume: carried(), signalled };
    },
  };
}

async function servedKinds(client: KubeClient): Promise<WatchedKind[]> {
  const discovery = new Discovery(client);
  const kinds: WatchedKind[] = [];
  // What environments usually render: the kinds a prune scan looks at, too.
  for (const { apiVersion, kind } of commonNamespacedKinds) {
    const resource = await discovery.resolve(apiVersion, kind);
    if (resource) kinds.push({ kind, group: resource.group, version: resource.version, resource: resource.resource });
  }
  return kinds;
}
