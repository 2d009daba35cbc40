// What an apply changes, in the fields the environment's field manager owns before or after it:
// the readable diff a release preview shows per object. Values the server defaults and fields other
// managers own never appear (the noise of a whole-object diff), and a Secret's values never do, nor
// values the render took from the environment's secrets.
import { redactSecrets, redactValue } from '../domain/secrets.js';
import type { FieldChange } from '../domain/vocabulary.js';
import type { KubeObject } from './objects.js';
import { absent, deepEqual, fieldsAppliedBy, mergeFields, present, selectField } from './managed-fields.js';

type FieldsV1 = Record<string, unknown>;

/** Changes listed per object at most: a preview is read by people, and travels through Temporal. */
export const MAX_FIELD_CHANGES = 50;
/** Longer strings are cut to this length, with a mark: a ConfigMap's whole file helps no one here. */
const MAX_SHOWN_STRING = 200;
/** Longer lists are cut to this many items, with a mark. */
const MAX_SHOWN_ITEMS = 20;
/** What stands for a value that is never shown. */
const HIDDEN = '(hidden)';

/**
 * The fields `manager` owns on `live` or on `desired` (the server's answer to the apply or its dry
 * run) whose values differ, in the order the server lists them. An object that does not exist yet
 * has every field of `desired` as added. `secretValues`: what the render took from the
 * environment's secrets, never shown.
 */
export function appliedFieldsDiff(live: KubeObject | undefined, desired: KubeObject, manager: string, secretValues: readonly string[] = []): FieldChange[] {
  const before = live ? fieldsAppliedBy(live, manager) : undefined;
  const after = fieldsAppliedBy(desired, manager);
  const fields = mergeFields(before ?? {}, after ?? {});
  const changes: FieldChange[] = [];
  walk(fields, live ?? absent, desired, '', changes);
  const hidden = desired.kind === 'Secret' && (desired.apiVersion === 'v1' || desired.apiVersion === undefined);
  return changes.map((change) => (hidden && /^(data|stringData)\b/.test(change.path) ? hideValues(change) : shorten(withoutSecrets(change, secretValues))));
}

/**
 * `change` with the secret values taken out, before anything is cut: a cut value would no longer
 * match. A field whose new value carries a secret held the previous secret before, most likely,
 * and a secret replaced since is not among `values`: its old value is hidden whole.
 */
function withoutSecrets(change: FieldChange, values: readonly string[]): FieldChange {
  if (values.length === 0) return change;
  const after = 'after' in change ? redactValue(change.after, values) : undefined;
  const carriesSecret = 'after' in change && !deepEqual(after, change.after);
  return {
    path: redactSecrets(change.path, values),
    ...('before' in change ? { before: carriesSecret ? HIDDEN : redactValue(change.before, values) } : {}),
    ...('after' in change ? { after } : {}),
  };
}

function walk(fields: FieldsV1, live: unknown, desired: unknown, path: string, out: FieldChange[]): void {
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.' || out.length >= MAX_FIELD_CHANGES) continue;
    const before = selectField(live, key);
    const after = selectField(desired, key);
    if (before === absent && after === absent) continue;
    const at = joinPath(path, key);
    const subKeys = Object.keys(sub as FieldsV1).filter((k) => k !== '.');
    // A leaf, or a set member: compared whole. Otherwise down the trie, also into what one side lacks.
    const whole = subKeys.length === 0 || before === present || after === present;
    if (!whole) {
      walk(sub as FieldsV1, before, after, at, out);
      continue;
    }
    if (deepEqual(before, after)) continue;
    out.push({ path: at, ...shown('before', before, key), ...shown('after', after, key) });
  }
}

/** `{ [side]: value }`, the set member for `present`, nothing for `absent`. */
function shown(side: 'before' | 'after', value: unknown, key: string): Partial<FieldChange> {
  if (value === absent) return {};
  if (value === present) return { [side]: JSON.parse(key.slice(2)) as unknown };
  return { [side]: value };
}

/** `f:spec` → `.spec`, `k:{"name":"web"}` → `[name=web]`, `v:"x"` → `["x"]`, `i:3` → `[3]`. */
function joinPath(path: string, key: string): string {
  const [prefix, rest] = [key.slice(0, 2), key.slice(2)];
  if (prefix === 'f:') return path ? `${path}.${rest}` : rest;
  if (prefix === 'k:') {
    const keys = JSON.parse(rest) as Record<string, unknown>;
    return `${path}[${Object.entries(keys).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',')}]`;
  }
  if (prefix === 'v:') return `${path}[${rest}]`;
  if (prefix === 'i:') return `${path}[${rest}]`;
  return `${path}[${key}]`;
}

function hideValues(change: FieldChange): FieldChange {
  return {
    path: change.path,
    ...('before' in change ? { before: HIDDEN } : {}),
    ...('after' in change ? { after: HIDDEN } : {}),
  };
}

function shorten(change: FieldChange): FieldChange {
  const cut = (value: unknown): unknown => {
    if (typeof value === 'string') return value.length > MAX_SHOWN_STRING ? `${value.slice(0, MAX_SHOWN_STRING)}… (${value.length} characters)` : value;
    if (Array.isArray(value)) return value.length > MAX_SHOWN_ITEMS ? [...value.slice(0, MAX_SHOWN_ITEMS).map(cut), `… (${value.length} items)`] : value.map(cut);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v)]));
    return value;
  };
  return {
    path: change.path,
    ...('before' in change ? { before: cut(change.before) } : {}),
    ...('after' in change ? { after: cut(change.after) } : {}),
  };
}
