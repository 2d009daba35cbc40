// Limits on JSON-like input (request bodies, values, signal payloads), checked without recursion
// before anything recursive (JSON.stringify, a merge, a schema validator) touches the value: a
// value nested 8,000 levels deep overflows the stack of every recursive walk.

export interface JsonBounds {
  /** levels of objects and lists, the outermost counting as 1 */
  maxDepth: number;
  /** size of the value written as JSON, approximately (an upper bound on the real size) */
  maxBytes: number;
}

/** What a values override (a request's or an environment's) may be. */
export const valuesBounds: JsonBounds = { maxDepth: 32, maxBytes: 256 * 1024 };

/** What a whole request body may be (its size is limited before it is parsed, too). */
export const requestBodyBounds: JsonBounds = { maxDepth: valuesBounds.maxDepth + 2, maxBytes: 1024 * 1024 };

function describePath(field: string, path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${text}.${key}` : `${text}[${JSON.stringify(key)}]`), field);
}

/**
 * Why `value` breaks `bounds`, naming the path where it does ("values_override.a.b: nested deeper
 * than 32 levels"), or undefined when it does not.
 */
export function jsonBoundsProblem(value: unknown, field: string, bounds: JsonBounds = valuesBounds): string | undefined {
  let bytes = 0;
  const stack: Array<{ value: unknown; depth: number; path: Array<string | number> }> = [{ value, depth: 1, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const current = item.value;
    if (current !== null && typeof current === 'object') {
      if (item.depth > bounds.maxDepth) return `${describePath(field, item.path)}: nested deeper than ${bounds.maxDepth} levels`;
      const entries: Array<[string | number, unknown]> = Array.isArray(current) ? current.map((v, i) => [i, v]) : Object.entries(current);
      bytes += 2 + entries.length;
      for (const [key, child] of entries) {
        if (typeof key === 'string') bytes += key.length + 3;
        // Paths are only built for the first offending branch; keep them short while walking.
        stack.push({ value: child, depth: item.depth + 1, path: item.path.length < bounds.maxDepth + 1 ? [...item.path, key] : item.path });
      }
    } else if (typeof current === 'string') {
      bytes += current.length + 2;
    } else {
      bytes += String(current).length;
    }
    if (bytes > bounds.maxBytes) return `${field}: larger than ${bounds.maxBytes} bytes as JSON`;
  }
  return undefined;
}

/** A JSON object as parsed (not an array, a Date or a class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
