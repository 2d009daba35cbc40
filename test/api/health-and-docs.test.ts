// Probes, the generated OpenAPI document, Swagger UI, and the app's answers outside any route.
import { Validator } from '@seriousme/openapi-schema-validator';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import type { ApiLogger } from '../../src/api/deps.js';
import { startApiServer } from '../../src/api/listen.js';
import { call, setUpApiTest, type ApiTest } from './support.js';

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('health, readiness and documentation', () => {
  let test: ApiTest;
  const closeLater: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    test = await setUpApiTest('docs');
  });
  afterAll(async () => {
    for (const close of closeLater) await close();
    await test?.close();
  });

  it('/healthz answers 200 without a token', async () => {
    const response = await call(test.app, 'GET', '/healthz');
    expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz answers 200 when Postgres and Temporal answer', async () => {
    const response = await call(test.app, 'GET', '/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ready', checks: { postgres: { ok: true }, temporal: { ok: true } } });
  });

  it('/readyz answers 503 naming temporal when the Temporal server is unreachable', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    closeLater.push(() => connection.close());
    const app = createApp({ pool: test.pool, temporalClient: new Client({ connection }), readinessTimeoutMs: 1_000 });
    const response = await call(app, 'GET', '/readyz');
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('not_ready');
    expect(response.body.error.message).toMatch(/^not ready: temporal \(/);
    expect(response.body.error.details).toEqual([{ check: 'temporal', message: expect.any(String) }]);
  });

  it('/readyz answers 503 naming postgres when the database is unreachable', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), user: 'nobody', database: 'none', connectionTimeoutMillis: 1_000 });
    closeLater.push(() => pool.end());
    const app = createApp({ pool, temporalClient: test.client, readinessTimeoutMs: 2_000 });
    const response = await call(app, 'GET', '/readyz');
    expect(response.status).toBe(503);
    expect(response.body.error.details).toEqual([{ check: 'postgres', message: expect.any(String) }]);
  });

  it('serves an OpenAPI 3 document that describes every route the app has', async () => {
    const response = await call(test.app, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    const document = response.body;
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Valid against the OpenAPI specification's own JSON schema.
    const validation = await new Validator().validate(document);
    expect(validation.errors ?? [], JSON.stringify(validation.errors)).toEqual([]);
    expect(validation.valid).toBe(true);

    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    const served = [...new Set(test.app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path}`))].sort();
    expect(documented).toEqual(served);
    expect(served).toHaveLength(48);
    expect(served).toEqual(expect.arrayContaining(['POST /api/projects/:project/deployments/:env/approve', 'POST /api/projects/:project/deployments/:env/reject']));
    expect(served).toEqual(expect.arrayContaining(['POST /codec/decode', 'POST /codec/encode', 'POST /api/projects/:project/deployments/:env/preview']));
    // The push webhook's signature is its authentication: no bearer token.
    expect(served).toContain('POST /api/hooks/git/:repo');
    expect(document.paths['/api/hooks/git/{repo}'].post.security).toBeUndefined();
    expect(served).toEqual(expect.arrayContaining(["GET /api/projects/:project/policy", "PUT /api/projects/:project/policy"]));
    expect(served).toContain('GET /metrics');
    // The dashboard's pages are routes of the app too, documented as HTML behind the session cookie.
    expect(served).toEqual(expect.arrayContaining(['GET /', 'GET /projects/:project/environments/:env', 'POST /session', 'POST /session/delete', 'GET /dashboard/assets/:name', 'GET /dashboard/events']));
    expect(document.paths['/'].get.security).toEqual([{ sessionCookie: [] }]);
    // The dashboard's buttons, one form route per action, and the follow-up of what they sent.
    expect(served).toEqual(
      expect.arrayContaining([
        ...['deploy', 'rollback', 'stop', 'cancel', 'approve', 'reject'].map((action) => `POST /projects/:project/environments/:env/${action}`),
        'GET /projects/:project/environments/:env/requests/:request_id',
      ]),
    );
    expect(served).toEqual(
      expect.arrayContaining([
        'GET /api/notifications/subscriptions',
        'POST /api/notifications/subscriptions',
        'GET /api/notifications/subscriptions/:id',
        'DELETE /api/notifications/subscriptions/:id',
        'GET /api/notifications/subscriptions/:id/deliveries',
      ]),
    );
    // The signing secret is documented as write-only, and never among what a read shows.
    expect(document.components.schemas.NotificationSubscriptionCreate.properties.secret.writeOnly).toBe(true);
    expect(document.components.schemas.NotificationSubscription.properties).not.toHaveProperty('secret');
    // The gates' fields are documented where they are set and where they are read.
    const approve = document.paths['/api/projects/{project}/deployments/{env}/approve'].post;
    expect(approve.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/ApprovalRequest');
    expect(approve.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/ApprovalAnswer');
    expect(document.components.schemas.DeploymentPatch.properties.override_freeze.description).toMatch(/admin scope and a reason/);
    expect(document.components.schemas.RollbackRequest.properties.override_freeze.description).toMatch(/admin scope and a reason/);
    expect(document.components.schemas.EnvironmentPolicy.properties).toEqual(expect.objectContaining({ approval: expect.any(Object), freeze_windows: expect.any(Object) }));
    expect(document.components.schemas.ProjectPolicy.properties.freeze_windows.description).toMatch(/every environment of the project/);
    expect(document.components.schemas.FreezeWindow.properties.cron.example).toBe('0 18 * * FRI');
    expect(document.components.schemas.EffectivePolicy.properties.notifications.description).toMatch(/subscription/);

    // Structurally sound: every operation answers something, every path parameter is declared
    // as a required path parameter, and every $ref points at a component that exists.
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses ?? {}), `${method} ${path} responses`).not.toHaveLength(0);
        const declared = (operation.parameters ?? []).filter((p: any) => p.in === 'path' && p.required).map((p: any) => p.name);
        expect(declared.sort(), `${method} ${path} path parameters`).toEqual([...pathParams].sort());
      }
    }
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, kind, name] of refs) expect(document.components[kind!]?.[name!], `${kind}/${name}`).toBeDefined();

    // Bodies are documented from the validating schemas, unknown fields refused there too.
    const patch = document.paths['/api/projects/{project}/deployments/{env}'].patch;
    expect(patch.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/DeploymentPatch');
    expect(document.components.schemas.DeploymentPatch.additionalProperties).toBe(false);
    expect(patch.security).toEqual([{ bearerAuth: [] }]);
  });

  it('serves Swagger UI at /docs from this server alone: every script and style it loads, none from another origin', async () => {
    const response = await call(test.app, 'GET', '/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    // Only this origin's scripts run on the page where tokens are pasted, and no inline ones.
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self';");
    const page = String(response.body);
    const loads = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(loads.length).toBe(4);
    expect(loads.filter((url) => !url.startsWith('/docs/assets/'))).toEqual([]);
    expect(page).not.toMatch(/<script>[^<]/);
    const types: Record<string, string> = {};
    for (const url of loads) {
      const asset = await test.app.request(url);
      expect(asset.status, url).toBe(200);
      types[url.split('/').at(-1)!] = asset.headers.get('content-type') ?? '';
      if (url.endsWith('init.js')) expect(await asset.text()).toContain("url: '/openapi.json'");
      else expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(500);
    }
    expect(types).toMatchObject({ 'swagger-ui-bundle.js': expect.stringContaining('javascript'), 'swagger-ui.css': expect.stringContaining('text/css') });
    // Nothing else of the package (or the disk) is reachable through the asset route.
    const version = loads[0]!.split('/')[3];
    for (const path of [`/docs/assets/${version}/package.json`, `/docs/assets/${version}/..%2F..%2Fpackage.json`, '/docs/assets/0.0.0/swagger-ui.css']) {
      expect((await test.app.request(path)).status, path).toBe(404);
    }
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await call(test.app, 'GET', '/api/nothing-here', { token: test.tokens.admin });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'not_found', message: 'no route GET /api/nothing-here' } });
  });

  it('answers an unexpected failure with a JSON 500 without internals, and logs it', async () => {
    const logged: Array<{ context: Record<string, unknown>; message: string }> = [];
    const logger: ApiLogger = { error: (context, message) => logged.push({ context, message }) };
    const broken = { query: () => Promise.reject(new Error('connection to the database exploded at /secret/path')) } as unknown as pg.Pool;
    const app = createApp({ pool: broken, temporalClient: test.client, logger });
    const response = await call(app, 'GET', `/api/projects/${test.project}/deployments`, { token: test.tokens.admin });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
    expect(JSON.stringify(response.body)).not.toMatch(/exploded|secret|at .*\.ts/);
    expect(logged).toHaveLength(1);
    expect((logged[0]!.context.err as Error).message).toContain('exploded');
  });

  it('is served over HTTP by startApiServer', async () => {
    const server = await startApiServer({ app: test.app, port: 0, host: '127.0.0.1' });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      const oversized = await fetch(`http://127.0.0.1:${server.port}/api/admin/ops-repos`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${test.tokens.admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'x', url: 'https://git.example.com/x.git', pad: 'x'.repeat(70_000) }),
      });
      expect(oversized.status).toBe(413);
      expect(((await oversized.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    } finally {
      await server.close();
    }
  });
});
