// Prometheus scrape endpoint. In one process with the worker (npm start) it shows the worker's
// deployment counters too; the pending-requests gauge is refreshed at scrape time.
import { createRoute, z } from '@hono/zod-openapi';
import { observePendingRequests } from '../../observability/pending-requests.js';
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
      await observePendingRequests(deps.pool, deps.temporalClient).catch((error) => deps.logger.error({ err: error }, 'could not observe pending requests'));
      return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
    },
  );
  return router;
}
