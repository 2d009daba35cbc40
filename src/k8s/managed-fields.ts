// Drift judged on the fields the deployer manages (server-side apply's managedFields), so values
// the server defaults or other controllers own never count as drift (Argo CD #13004, #15898).
//
// managedFields record ownership as a FieldsV1 trie: `f:name` a field, `k:{"name":"web"}` the
// element of an associative list with those keys, `v:"x"` a member of a set, `i:3` a list index,
// and `.` the node itself. An empty trie under a key means the whole value at that key is owned.
import { createHash } from 'node:crypto';
import type { KubeObject } from './objects.js';

type FieldsV1 = Record<string, unknown>;

/** What `selectField` answers for a field the value does not have / a set member it has. */
export const absent = Symbol('absent');
export const present = Symbol('present');

/** The union of the fields `manager` owns through apply on the object's main resource, if any. */
export function fieldsAppliedBy(object: KubeObject, manager: string): FieldsV1 | undefined {
  const entries = (object.metadata.managedFields ?? []).filter(
    (entry) => entry.manager === manager && entry.operation === 'Apply' && !entry.subresource && entry.fieldsV1,
  );
  if (entries.length === 0) return undefined;
  return entries.map((entry) => entry.fieldsV1!).reduce(mergeFields);
}

/**
 * A short digest of a field set. The API server writes managedFields in a canonical order, so
 * the same fields always give the same digest: the cluster watcher and the apply's record of
 * what it applied compare these.
 */
export function fieldsDigest(fields: unknown): string {
  return createHash('sha256').update(JSON.stringify(fields ?? {})).digest('hex').slice(0, 16);
}

/**
 * The digest of the fields `manager` owns through apply on the object's main resource, or
 * undefined when it owns none. Someone else changing one of those fields takes it over, so the
 * digest changes; status writes and fields others add leave it as it is.
 */
export function appliedFieldsDigest(object: Pick<KubeObject, 'metadata'>, manager: string): string | undefined {
  const entry = (object.metadata.managedFields ?? []).find((e) => e.manager === manager && e.operation === 'Apply' && !e.subresource);
  return entry ? fieldsDigest(entry.fieldsV1) : undefined;
}

/** The union of two field sets. */
export function mergeFields(a: FieldsV1, b: FieldsV1): FieldsV1 {
  const merged: FieldsV1 = { ...a };
  for (const [key, value] of Object.entries(b)) {
    merged[key] = key in merged ? mergeFields(merged[key] as FieldsV1, value as FieldsV1) : value;
  }
  return merged;
}

/** The part of `value` one FieldsV1 key names: the value, `absent`, or `present` for a set member. */
export function selectField(value: unknown, key: string): unknown {
  const [prefix, rest] = [key.slice(0, 2), key.slice(2)];
  if (prefix === 'f:') {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && rest in value
      ? (value as Record<string, unknown>)[rest]
      : absent;
  }
  if (!Array.isArray(value)) return absent;
  if (prefix === 'k:') {
    const keys = JSON.parse(rest) as Record<string, unknown>;
    const match = value.find(
      (element) =>
        typeof element === 'object' && element !== null && Object.entries(keys).every(([k, v]) => deepEqual((element as Record<string, unknown>)[k], v)),
    );
    return match === undefined ? absent : match;
  }
  if (prefix === 'v:') {
    const member = JSON.parse(rest) as unknown;
    return value.some((element) => deepEqual(element, member)) ? present : absent;
  }
  if (prefix === 'i:') {
    const index = Number(rest);
    return index < value.length ? value[index] : absent;
  }
  return absent;
}

/** The parts of `value` the trie names; what the trie does not name is left out. */
export function projectFields(value: unknown, fields: FieldsV1): Record<string, unknown> {
  const projection: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.') continue;
    const child = selectField(value, key);
    const subKeys = Object.keys(sub as FieldsV1);
    if (child === absent || child === present) projection[key] = child;
    else if (subKeys.length === 0) projection[key] = child;
    else if (subKeys.every((k) => k === '.')) projection[key] = present;
    else projection[key] = projectFields(child, sub as FieldsV1);
  }
  return projection;
}

/**
 * Whether applying `desired` (the server's dry-run answer) would change `live` on any field the
 * manager owns before or after the apply. An object the manager has never applied differs: the
 * apply would take it over.
 */
export function differsOnAppliedFields(live: KubeObject, desired: KubeObject, manager: string): boolean {
  const before = fieldsAppliedBy(live, manager);
  if (!before) return true;
  const after = fieldsAppliedBy(desired, manager);
  return [before, after].some((fields) => fields !== undefined && !deepEqual(projectFields(live, fields), projectFields(desired, fields)));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(bRecord).length &&
    aKeys.every((key) => key in bRecord && deepEqual((a as Record<string, unknown>)[key], bRecord[key]))
  );
}
