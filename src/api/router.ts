// Every router of the app validates with the same hook, so any bad input becomes the same 400.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.js';
import { rejectInvalidRequest } from './validation/zod-issues.js';

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalidRequest });
}
