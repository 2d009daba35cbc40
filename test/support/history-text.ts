// A workflow's Temporal history as one text to search: every payload decoded (they arrive as
// base64 in the history's JSON, or as bytes), next to its raw form.
export function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return `${Buffer.from(value).toString('base64')} ${Buffer.from(value).toString('utf8')}`;
    if (key === 'data' && typeof value === 'string') return `${value} ${Buffer.from(value, 'base64').toString('utf8')}`;
    return value;
  });
}
