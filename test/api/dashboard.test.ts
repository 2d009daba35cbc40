// The dashboard's HTTP contract, without a browser: the sign-in page for anyone without a session,
// the session cookie's flags, the refusals (forged cross-site posts, tokens that may not read,
// revoked sessions, bad filters, other projects), and that the cookie opens no API route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiToken } from '../../src/auth/tokens.js';
import { registerTestEnvironment, setUpApiTest, type ApiTest } from './support.js';

const ORIGIN = 'http://localhost';

describe('the dashboard over HTTP', () => {
  let test: ApiTest;

  beforeAll(async () => {
    test = await setUpApiTest('dashboard-http');
    await registerTestEnvironment(test, test.project, 'dev');
    await registerTestEnvironment(test, test.otherProject, 'dev');
  });

  afterAll(async () => {
    await test?.close();
  });

  async function get(path: string, token?: string): Promise<Response> {
    return await test.app.request(path, { headers: token ? { Cookie: `deployer_session=${token}` } : {} });
  }

  async function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = { Origin: ORIGIN }): Promise<Response> {
    return await test.app.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  it('answers the sign-in page, and no data, without a session', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<form method="post" action="/session"');
    expect(html).not.toContain(test.project);
    // The page only echoes the path that was asked for, to return to it; nothing read from the record.
    const page = await get(`/projects/${test.project}/environments/dev`);
    expect((await page.text()).replace(/<input type="hidden" name="return_to"[^>]*>/, '')).not.toContain(test.project);
  });

  it('signs in with a read token: an HttpOnly, SameSite=Strict session cookie for /, Secure over https', async () => {
    const response = await postForm('/session', { token: test.tokens.reader });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toBe(`deployer_session=${test.tokens.reader}; Path=/; HttpOnly; SameSite=Strict`);
    const secure = await test.app.request('https://deployer.example/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://deployer.example' },
      body: new URLSearchParams({ token: test.tokens.reader }).toString(),
    });
    expect(secure.headers.get('set-cookie')).toContain('; Secure');
  });

  it('returns to the page asked for after signing in, carried in the form and never in a URL', async () => {
    const asked = `/projects/${test.project}/environments/dev?x=1`;
    const signInPage = await (await get(asked)).text();
    expect(signInPage).toContain(`<input type="hidden" name="return_to" value="/projects/${test.project}/environments/dev?x=1"/>`);
    expect(signInPage).toMatch(/<form method="post" action="\/session"/);
    const response = await postForm('/session', { token: test.tokens.reader, return_to: asked });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(asked);
    // A refused sign-in keeps where to return to, for the next attempt.
    const refused = await postForm('/session', { token: 'hunter2', return_to: asked });
    expect(await refused.text()).toContain(`name="return_to" value="/projects/${test.project}/environments/dev?x=1"`);
    // The fleet itself needs no field.
    expect(await (await get('/')).text()).not.toContain('return_to');
  });

  it.each(['//evil.example/', '/\\evil.example/', 'https://evil.example/', 'javascript:alert(1)', '/\t/evil.example', 'projects/p', ''])(
    'signs in to the fleet, not off-site, for the return path %j',
    async (returnTo) => {
      const response = await postForm('/session', { token: test.tokens.reader, return_to: returnTo });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
    },
  );

  it('refuses a sign-in posted from another site, before looking at the token', async () => {
    const response = await postForm('/session', { token: test.tokens.reader }, { Origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('not sent from the dashboard&#39;s own pages');
    const signOut = await postForm('/session/delete', {}, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' });
    expect(signOut.status).toBe(403);
  });

  it.each([
    [{}, 400, 'Enter an API token'],
    [{ token: 'hunter2' }, 401, 'not a deployer token'],
    [{ token: `dpl_${'a'.repeat(43)}` }, 401, 'Unknown or revoked token.'],
  ])('refuses the sign-in %j with %i, saying why', async (fields, status, message) => {
    const response = await postForm('/session', fields);
    expect(response.status).toBe(status);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain(message);
  });

  it('refuses a token that may not read deployments, and a revoked one', async () => {
    const pipeline = await test.token('pipeline', ['deploy:promote']);
    const response = await postForm('/session', { token: pipeline });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('lacks the scope deploy:read');
    expect((await postForm('/session', { token: test.tokens.revoked })).status).toBe(401);
  });

  it('ends a session whose token was revoked since, with the sign-in page', async () => {
    const { createApiToken } = await import('../../src/auth/tokens.js');
    const soon = await createApiToken(test.pool, { name: `${test.prefix}-soon-revoked`, scopes: ['deploy:read'] });
    expect((await get('/', soon.token)).status).toBe(200);
    await revokeApiToken(test.pool, soon.id);
    const response = await get('/', soon.token);
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toContain('deployer_session=;');
    const html = await response.text();
    expect(html).toContain('Your session ended');
    expect(html).not.toContain(test.project);
  });

  it('lists every environment to a global token, and only its own project to a project-bound one', async () => {
    const all = await (await get(`/?q=${test.prefix}`, test.tokens.admin)).text();
    expect(all).toContain(`>${test.project}</h2>`);
    expect(all).toContain(`>${test.otherProject}</h2>`);
    expect(all).toContain('<span class="status status-new">new</span>');
    const bound = await (await get('/', test.tokens.projectAdmin)).text();
    expect(bound).toContain(`>${test.project}</h2>`);
    expect(bound).not.toContain(test.otherProject);
    const asked = await get(`/?project=${test.otherProject}`, test.tokens.projectAdmin);
    expect(asked.status).toBe(403);
    expect(await asked.text()).toContain(`bound to project ${test.project}, not ${test.otherProject}`);
  });

  it.each([
    ['/?status=sleeping', 'status: must be one of healthy, deploying, waiting, failed'],
    ['/dashboard/events?env=dev', 'env: env needs project'],
    ['/dashboard/events?project=Not_A_Slug', 'project: must be a slug'],
    ['/?project=Not_A_Slug', 'project: must be a slug'],
    [`/?q=${'x'.repeat(201)}`, 'q: must be at most 200 characters'],
  ])('answers a bad filter %s with a 400 naming it', async (path, message) => {
    const response = await get(path, test.tokens.reader);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(message);
  });

  it('answers an environment that is not registered with a 404 page, and a malformed name with a 400', async () => {
    const response = await get(`/projects/${test.project}/environments/nowhere`, test.tokens.reader);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain(`environment ${test.project}/nowhere is not registered`);
    const malformed = await get(`/projects/${test.project}/environments/Not_A_Slug`, test.tokens.reader);
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('env: must be a slug');
  });

  it("shows each release's values, escaped, and when drift was last corrected", async () => {
    const env = 'values';
    await registerTestEnvironment(test, test.project, env);
    const before = await (await get(`/projects/${test.project}/environments/${env}`, test.tokens.reader)).text();
    expect(before).toContain('<dt>Drift last corrected</dt><dd class="drift-corrected">never: no drift pass has had anything to correct</dd>');
    const row = (key: string, fields: { action: string; status: string; values?: unknown; reason?: string; at: string }) =>
      test.pool.query(
        `INSERT INTO deployment_history (idempotency_key, project, environment, action, status, image_ref, values_override, reason, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, 'registry.example/web:1', $6, $7, $8, $8)`,
        [`${test.prefix}-${key}`, test.project, env, fields.action, fields.status, fields.values === undefined ? null : JSON.stringify(fields.values), fields.reason ?? null, fields.at],
      );
    await row('release', { action: 'deploy', status: 'healthy', values: { replicas: 3, banner: '<script>alert(1)</script>' }, at: '2026-01-02T03:04:05Z' });
    await row('drift', { action: 'drift', status: 'corrected', reason: 'Deployment web: spec.replicas put back', at: '2026-01-02T04:00:00Z' });
    await row('later', { action: 'deploy', status: 'healthy', values: {}, at: '2026-01-02T05:00:00Z' });
    const html = await (await get(`/projects/${test.project}/environments/${env}`, test.tokens.reader)).text();
    expect(html).toContain(
      '<dt>Drift last corrected</dt><dd class="drift-corrected"><time datetime="2026-01-02T04:00:00.000Z">2026-01-02 04:00:00Z</time> — Deployment web: spec.replicas put back</dd>',
    );
    // (jsonb keeps the keys in its own order)
    expect(html).toContain('<details class="values"><summary>2 values</summary><pre><code>banner: &lt;script&gt;alert(1)&lt;/script&gt;\nreplicas: 3</code></pre></details>');
    expect(html).not.toContain('<script>alert(1)');
    // The correction is a row of the history, with its status.
    expect(html).toContain('<td>drift</td><td><span class="status status-corrected">corrected</span>');
  });

  it('serves its scripts and stylesheet itself, cacheable for good', async () => {
    const html = await (await get('/')).text();
    const paths = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(paths).toHaveLength(3);
    for (const path of paths) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('immutable');
      expect(response.headers.get('content-type')).toMatch(/^text\/(javascript|css)/);
    }
  });

  it('opens no API route with the session cookie: the API wants its bearer token', async () => {
    const response = await get('/api/whoami', test.tokens.admin);
    expect(response.status).toBe(401);
    expect((await get('/api/nothing-here')).headers.get('content-type')).toContain('application/json');
  });
});
