// Fixes the request id of a mutation before it is validated, so refused requests are audited
// under the id the caller sent, and echoes it in X-Request-Id.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.js';
import { invalidRequest } from '../errors.js';
import { chooseRequestId } from '../request-id.js';

export const resolveRequestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const choice = chooseRequestId((name) => c.req.header(name));
  if ('issue' in choice) throw invalidRequest([choice.issue]);
  c.set('requestId', choice.requestId);
  c.header('X-Request-Id', choice.requestId);
  await next();
};
