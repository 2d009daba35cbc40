// The OpenAPI document, generated from the same schemas that validate requests, and Swagger UI.
// Swagger UI is where admins paste tokens, so every byte of it comes from this server (the
// installed swagger-ui-dist package), never a CDN, and its page may load scripts from here only.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
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

const swaggerDist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const swaggerVersion = (JSON.parse(readFileSync(join(swaggerDist, 'package.json'), 'utf8')) as { version: string }).version;

/** The files the page loads, by the name it loads them as: read once, on first use. */
const ASSETS: Record<string, { file?: string; text?: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'text/javascript; charset=utf-8' },
  'favicon-32x32.png': { file: 'favicon-32x32.png', type: 'image/png' },
  // The start-up script is a file of its own, not inline, so the page's policy can forbid inline scripts.
  'init.js': { text: "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n", type: 'text/javascript; charset=utf-8' },
};
const loaded = new Map<string, Uint8Array<ArrayBuffer>>();
function asset(name: string): Uint8Array<ArrayBuffer> {
  let body = loaded.get(name);
  if (!body) {
    const { file, text } = ASSETS[name]!;
    body = new Uint8Array(file ? readFileSync(join(swaggerDist, file)) : new TextEncoder().encode(text));
    loaded.set(name, body);
  }
  return body;
}

const ASSET_BASE = `/docs/assets/${swaggerVersion}`;
const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>deployer API</title>
    <link rel="stylesheet" href="${ASSET_BASE}/swagger-ui.css" />
    <link rel="icon" type="image/png" href="${ASSET_BASE}/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSET_BASE}/swagger-ui-bundle.js"></script>
    <script src="${ASSET_BASE}/init.js"></script>
  </body>
</html>`;
// Scripts, styles and requests from this origin only; Swagger UI sets inline styles and data: images.
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

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
    (c) => {
      c.header('Content-Security-Policy', PAGE_POLICY);
      return c.html(SWAGGER_PAGE);
    },
  );

  // Versioned paths: a new swagger-ui-dist is a new URL, so the files may be cached for good.
  router.openapi(
    createRoute({
      method: 'get',
      path: '/docs/assets/{version}/{name}',
      tags: ['docs'],
      summary: "A file of Swagger UI's page (its script, style sheet, icon), from this server",
      request: { params: z.object({ version: z.string(), name: z.string() }) },
      responses: {
        200: { description: 'the file' },
        404: { description: 'not a file of the page, or of another Swagger UI version' },
      },
    }),
    (c) => {
      const { version, name } = c.req.valid('param');
      if (version !== swaggerVersion || !Object.hasOwn(ASSETS, name)) return c.json({ error: { code: 'not_found', message: `no docs asset ${version}/${name}` } }, 404);
      c.header('Content-Type', ASSETS[name]!.type);
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      c.header('X-Content-Type-Options', 'nosniff');
      return c.body(asset(name), 200);
    },
  );

  return router;
}
