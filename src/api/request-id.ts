// The id a mutation is known by: the caller's Idempotency-Key (or X-Request-Id), else a fresh UUID.
// It becomes the signal's requestId, so a retried call with the same key is ignored by the workflow.
import { randomUUID } from 'node:crypto';
import type { FieldIssue } from './errors.js';

export const REQUEST_ID_HEADERS = ['Idempotency-Key', 'X-Request-Id'] as const;
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,127}$/;

export function chooseRequestId(header: (name: string) => string | undefined): { requestId: string } | { issue: FieldIssue } {
  for (const name of REQUEST_ID_HEADERS) {
    const value = header(name);
    if (value === undefined) continue;
    if (!REQUEST_ID_PATTERN.test(value)) {
      return {
        issue: {
          field: name,
          message: `${name}: must be 1-128 characters of letters, digits and . _ : / -, starting with a letter or digit`,
        },
      };
    }
    return { requestId: value };
  }
  return { requestId: randomUUID() };
}
