// Prometheus scrape endpoint. In one process with the worker (npm start) it shows the worker's
// deployment counters and pending-requests gauge too. A scrape only reads memory: it asks no
// workflow and no database anything.
import { createRoute, z } from '@hono/zod-openapi';
import { registry } from '../../observability/metrics.js';
import type { ResolvedApiDeps } from '../deps.js';
import { createRouter } from '../router.js';

export function metricsRoutes(deps: ResolvedApiDeps) {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['health'],
      summary: 'Prometheus metrics: deployments by outcome, durations, drift corrections, rollbacks, pending requests, activity failures',
      responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
    }),
    async (c) => {
      return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
    },
  );
  return router;
}
