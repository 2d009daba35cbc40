// JSON values compared by content: two objects with the same keys and values are the same whatever
// order their keys were written in (`{a:1,b:2}` is `{b:2,a:1}`), which JSON.stringify alone does not
// give. Pure and deterministic, so workflow code may use it.

/** The value's JSON text with every object's keys sorted: equal text ⇔ equal content. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
