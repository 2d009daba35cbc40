// The id a mutation is known by: the caller's Idempotency-Key (or X-Request-Id), else a fresh UUID.
// It becomes the signal's requestId, so a retried call with the same key is ignored by the workflow.
import { randomUUID } from 'node:crypto';
import type { FieldIssue } from './errors.js';
import { REQUEST_ID_PATTERN, REQUEST_ID_RULE } from '../domain/request-rules.js';

export const REQUEST_ID_HEADERS = ['Idempotency-Key', 'X-Request-Id'] as const;
export { REQUEST_ID_PATTERN } from '../domain/request-rules.js';

export function chooseRequestId(header: (name: string) => string | undefined): { requestId: string } | { issue: FieldIssue } {
  for (const name of REQUEST_ID_HEADERS) {
    const value = header(name);
    if (value === undefined) continue;
    if (!REQUEST_ID_PATTERN.test(value)) {
      return {
        issue: {
          field: name,
          message: `${name}: ${REQUEST_ID_RULE}`,
        },
      };
    }
    return { requestId: value };
  }
  return { requestId: randomUUID() };
}
