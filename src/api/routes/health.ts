// Probes: /healthz says the process serves requests; /readyz says its dependencies answer.
import { createRoute, z } from '@hono/zod-openapi';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { checkReadiness } from '../readiness.js';
import { createRouter } from '../router.js';
import { errorBody } from '../schemas/common.js';

const check = z.object({ ok: z.boolean(), error: z.string().optional() });
const readiness = z.object({ status: z.literal('ready'), checks: z.object({ postgres: check, temporal: check }) }).openapi('Readiness');

export function healthRoutes(deps: ResolvedApiDeps) {
  const router = createRouter();

  router.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['health'],
      summary: 'Liveness: the process answers',
      responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['health'],
      summary: 'Readiness: Postgres and Temporal answer',
      responses: {
        200: { description: 'ready', content: { 'application/json': { schema: readiness } } },
        503: { description: 'not ready; details name the failing checks', content: { 'application/json': { schema: errorBody } } },
      },
    }),
    async (c) => {
      const result = await checkReadiness(deps);
      if (!result.ready) {
        const failing = Object.entries(result.checks).filter(([, value]) => !value.ok);
        throw new ApiError(503, 'not_ready', `not ready: ${failing.map(([name, value]) => `${name} (${value.error})`).join(', ')}`, {
          details: failing.map(([name, value]) => ({ check: name, message: value.error })),
        });
      }
      return c.json({ status: 'ready' as const, checks: result.checks }, 200);
    },
  );

  return router;
}
