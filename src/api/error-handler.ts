// Renders every failure as `{ error: { code, message, details? } }`. Expected errors keep their
// status; anything else is logged with its stack and answered with a bare 500.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './app-env.js';
import type { ApiLogger } from './deps.js';
import { ApiError, type ErrorPayload } from './errors.js';

// Hono's own exceptions: malformed JSON (from the validator), unsupported media type (from the
// OpenAPI body gate), and any other it may raise.
function fromHttpException(error: HTTPException): ApiError {
  const status = error.status as ContentfulStatusCode;
  if (status === 400 && /malformed json/i.test(error.message)) {
    return new ApiError(400, 'malformed_json', 'body: malformed JSON in request body', { details: [{ field: 'body', message: 'body: malformed JSON' }] });
  }
  if (status === 415) {
    return new ApiError(415, 'unsupported_media_type', 'body: send JSON with "Content-Type: application/json"', {
      details: [{ field: 'Content-Type', message: 'Content-Type: must be application/json' }],
    });
  }
  if (status === 413) return new ApiError(413, 'payload_too_large', 'request body is too large');
  return new ApiError(status, status < 500 ? 'bad_request' : 'internal', error.message || 'request failed');
}

function respond(c: Context<AppEnv>, error: ApiError): Response {
  const payload: ErrorPayload = error.payload;
  c.set('apiError', payload);
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) c.header(name, value);
  return c.json({ error: payload }, error.status);
}

export function handleErrors(logger: ApiLogger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof ApiError) return respond(c, error);
    if (error instanceof HTTPException) return respond(c, fromHttpException(error));
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unexpected error handling a request');
    return respond(c, new ApiError(500, 'internal', 'internal error; the server log has the details'));
  };
}

export const handleNotFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`));
