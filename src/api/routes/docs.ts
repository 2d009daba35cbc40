// The OpenAPI document, generated from the same schemas that validate requests, and Swagger UI.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { SwaggerUI } from '@hono/swagger-ui';
import type { AppEnv } from '../app-env.js';
import { createRouter } from '../router.js';

const DOCUMENT = {
  openapi: '3.0.3',
  info: {
    title: 'deployer',
    version: '0.1.0',
    description:
      'Continuous deployment to Kubernetes: every (project, environment) is a long-lived Temporal workflow. ' +
      'Mutations answer 202 once the workflow has the request; GET the deployment to follow it.',
  },
};

const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>deployer API</title></head>
  <body>${SwaggerUI({ url: '/openapi.json' })}</body>
</html>`;

/** `app` is the whole application: the document covers every route registered on it. */
export function docsRoutes(app: OpenAPIHono<AppEnv>) {
  const router = createRouter();

  router.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      tags: ['docs'],
      summary: 'This API as an OpenAPI 3 document',
      responses: { 200: { description: 'the document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
    }),
    (c) => c.json(app.getOpenAPIDocument(DOCUMENT) as unknown as Record<string, unknown>, 200),
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/docs',
      tags: ['docs'],
      summary: 'Swagger UI for this API',
      responses: { 200: { description: 'an HTML page' } },
    }),
    (c) => c.html(SWAGGER_PAGE),
  );

  return router;
}
