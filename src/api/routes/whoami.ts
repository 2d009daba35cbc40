// Who a token is: what `deployer login` checks before it stores the token, and what a pipeline
// can ask to see which scopes it holds. Any valid token may ask; it learns only about itself.
import { createRoute, z } from '@hono/zod-openapi';
import type { ResolvedApiDeps } from '../deps.js';
import { authenticate } from '../middleware/authenticate.js';
import { createRouter } from '../router.js';
import { bearerSecurity, readErrors } from '../schemas/common.js';

const identity = z
  .object({
    name: z.string().openapi({ description: 'the name requests and audit rows are recorded under' }),
    scopes: z.array(z.string()),
    project: z.string().nullable().openapi({ description: 'the one project the token is for; null: every project' }),
  })
  .openapi('TokenIdentity');

export function whoamiRoutes(deps: ResolvedApiDeps) {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'get',
      path: '/whoami',
      tags: ['auth'],
      summary: 'The token making the call: its name, scopes and project',
      security: bearerSecurity,
      middleware: [authenticate(deps.pool)],
      responses: { 200: { description: 'the token', content: { 'application/json': { schema: identity } } }, ...readErrors },
    }),
    (c) => {
      const { name, scopes, project } = c.get('principal');
      return c.json({ name, scopes, project }, 200);
    },
  );
  return router;
}
