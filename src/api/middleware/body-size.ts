// Refuses bodies over 64 KiB before anything parses them: no request of this API needs more, and
// values overrides are stored and signalled, so an unbounded one would bloat Postgres and history.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env.js';
import { ApiError } from '../errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

export const limitBodySize: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, 'payload_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
  },
});
