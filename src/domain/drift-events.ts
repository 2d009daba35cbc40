// What the cluster watcher remembers of each object an environment manages, and which changes
// are drift. Server-side apply keeps, per field manager, the set of fields it owns: when someone
// else (kubectl edit, a script, a controller) changes a field an environment applied, ownership of
// that field moves to them, so the environment's own entry loses fields while its timestamp stays
// the same. The environment's own applies change its timestamp. Fields others add that the
// environment never applied are not drift; neither are status updates.

/** One object as the watcher keeps it: small, no spec, no data. */
export interface ObservedObject {
  uid: string;
  /** "<project>/<environment>" from the owner annotation; objects without one are ignored */
  owner: string;
  /** "Kind/name" in namespace, for people */
  display: string;
  /** the owning environment's field manager entry, when it has one: when it last changed, and a digest of its fields */
  applied?: { time: string; fields: string };
}

export interface Drift {
  owner: string;
  /** what happened, for the environment's history */
  detail: string;
}

/** A field manager entry of `metadata.managedFields`, as the API server returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: unknown;
}

export interface WatchedObject {
  kind?: string;
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    managedFields?: ManagedFieldsEntry[];
  };
}

/** The digest of an object as the watcher keeps it, or undefined when no environment owns it. */
export function observe(object: WatchedObject, ownerAnnotation: string, fieldManagerOf: (owner: string) => string, digest: (fields: unknown) => string): ObservedObject | undefined {
  const metadata = object.metadata;
  const owner = metadata?.annotations?.[ownerAnnotation];
  if (!metadata?.uid || !owner) return undefined;
  const manager = fieldManagerOf(owner);
  const entry = metadata.managedFields?.find((e) => e.manager === manager && e.operation === 'Apply' && !e.subresource);
  return {
    uid: metadata.uid,
    owner,
    display: `${object.kind ?? 'object'}/${metadata.name ?? metadata.uid}${metadata.namespace ? ` in ${metadata.namespace}` : ''}`,
    ...(entry ? { applied: { time: entry.time ?? '', fields: digest(entry.fieldsV1 ?? {}) } } : {}),
  };
}

/** The managers, other than the deployer's, whose entries on `object` changed most recently (status writers aside). */
export function latestOtherManagers(object: WatchedObject, isDeployerManager: (manager: string) => boolean): string[] {
  const others = (object.metadata?.managedFields ?? []).filter((e) => e.manager && !isDeployerManager(e.manager) && e.subresource !== 'status');
  const newest = others.reduce((max, e) => ((e.time ?? '') > max ? (e.time ?? '') : max), '');
  return [...new Set(others.filter((e) => (e.time ?? '') === newest).map((e) => e.manager!))];
}

/**
 * Whether going from `before` to `after` (undefined: deleted) is drift of the owning environment:
 * the object deleted, or fields it applied taken by someone else. `takenBy` names who, when known.
 */
export function driftBetween(before: ObservedObject | undefined, after: ObservedObject | undefined, takenBy: string[] = []): Drift | undefined {
  if (!before) return undefined; // first sight: nothing to compare with
  if (!after) return { owner: before.owner, detail: `${before.display} deleted` };
  if (!before.applied) return undefined;
  const who = takenBy.length > 0 ? ` by ${takenBy.join(', ')}` : '';
  if (!after.applied) return { owner: after.owner, detail: `${after.display}: every field the environment applied was taken${who}` };
  // The environment's own apply moves its entry's time; a change by someone else leaves it.
  if (after.applied.time === before.applied.time && after.applied.fields !== before.applied.fields) {
    return { owner: after.owner, detail: `${after.display}: fields the environment applied were changed${who}` };
  }
  return undefined;
}
