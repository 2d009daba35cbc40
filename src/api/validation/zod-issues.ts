// Turns zod's issues into the API's field errors, and is the hook every route validates with, so
// a bad request always yields the same 400 shape whatever part of it was wrong.
import type { Hook } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppEnv } from '../app-env.js';
import { invalidRequest, type FieldIssue } from '../errors.js';

// What the field is called when the whole part is wrong (a body that is not an object).
const WHOLE_TARGET: Record<string, string> = {
  json: 'body',
  query: 'query',
  param: 'path',
  header: 'headers',
  cookie: 'cookies',
  form: 'body',
};

function fieldName(path: ReadonlyArray<PropertyKey>, target: string): string {
  if (path.length === 0) return WHOLE_TARGET[target] ?? target;
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : String(segment))).join('.').replace(/\.\[/g, '[');
}

export function fieldIssues(error: ZodError, target: string): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const field = fieldName([...issue.path, key], target);
        return { field, message: `${field}: unknown field` };
      });
    }
    const field = fieldName(issue.path, target);
    return [{ field, message: `${field}: ${readable(issue)}` }];
  });
}

/** zod's wording, except where it describes our plumbing rather than the caller's input. */
function readable(issue: ZodError['issues'][number]): string {
  if (issue.code !== 'invalid_type') return issue.message;
  if (/received undefined$/.test(issue.message)) return 'is required';
  // Path and query parameters are strings coerced to numbers; "NaN" is what coercion made of it.
  if (/received NaN$/.test(issue.message)) return 'must be a number';
  return issue.message;
}

export const rejectInvalidRequest: Hook<unknown, AppEnv, string, void> = (result) => {
  if (!result.success) throw invalidRequest(fieldIssues(result.error, result.target));
};
