// Request bodies are bounded before any route sees them: the byte size first (413), then the
// nesting depth of the parsed JSON (400 naming the field), so no handler, validator or audit
// writer ever walks a body deep enough to overflow the stack.
import type { MiddlewareHandler } from 'hono';
import { jsonBoundsProblem, requestBodyBounds } from '../../domain/json-bounds.js';
import type { AppEnv } from '../app-env.js';
import { ApiError, invalidRequest } from '../errors.js';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export const boundedJsonBodies: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!WITH_BODY.has(c.req.method) || !/json/i.test(c.req.header('content-type') ?? '')) return next();
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > requestBodyBounds.maxBytes) throw tooLarge();
  const text = await c.req.text();
  if (Buffer.byteLength(text, 'utf8') > requestBodyBounds.maxBytes) throw tooLarge();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return next(); // malformed JSON gets the validator's own 400
  }
  const problem = jsonBoundsProblem(body, 'body', requestBodyBounds);
  if (problem !== undefined) {
    // "body.values_override.a…: nested deeper…" → the field is values_override
    const field = /^body\.([A-Za-z_][\w]*)/.exec(problem)?.[1] ?? 'body';
    const message = problem.replace(/^body\./, '');
    throw invalidRequest([{ field, message }]);
  }
  return next();
};

function tooLarge(): ApiError {
  return new ApiError(413, 'payload_too_large', `request body is larger than ${requestBodyBounds.maxBytes} bytes`);
}
