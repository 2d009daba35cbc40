// Refuses JSON bodies nested deeper than any request of this API needs, after the size limit and
// before any validator, handler or audit writer walks them: a body nested 8,000 levels deep is
// only 16 KB, yet overflows the stack of every recursive walk (JSON.stringify included).
import type { MiddlewareHandler } from 'hono';
import { jsonBoundsProblem, requestBodyBounds } from '../../domain/json-bounds.js';
import type { AppEnv } from '../app-env.js';
import { invalidRequest } from '../errors.js';

export const limitBodyDepth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!/json/i.test(c.req.header('content-type') ?? '')) return next();
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return next(); // malformed or empty JSON gets the validator's own 400
  }
  const problem = jsonBoundsProblem(body, 'body', requestBodyBounds);
  if (problem !== undefined) {
    // "body.values_override.a…: nested deeper…" → the field is values_override
    const field = /^body\.([A-Za-z_]\w*)/.exec(problem)?.[1] ?? 'body';
    throw invalidRequest([{ field, message: problem.replace(/^body\./, '') }]);
  }
  return next();
};
