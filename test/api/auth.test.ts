// Who may do what: every protected route against every kind of caller. Refused calls get a JSON
// 401/403 (never a 500), change nothing and signal nothing; refusals of authenticated callers are
// audited under their name.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/tokens.js';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { opsRepoPollerId } from '../../src/client/ops-repo-poller.js';
import {
  auditRows,
  call,
  createLocalGitRepo,
  registerTestEnvironment,
  rowCounts,
  setUpApiTest,
  signalsOf,
  startApiWorker,
  type ApiTest,
  type ApiWorker,
} from './support.js';

type Narrow = 'readOnly' | 'promoteOnly' | 'approveOnly';

interface RouteCase {
  name: string;
  method: string;
  /** built once the test's names and fixtures exist */
  path: () => string;
  json?: () => unknown;
  /** callers that lack the route's scope */
  lacksScope: Narrow | Narrow[];
  /** what an admin gets */
  success: number;
  /** a narrow token that passes the route's guard too, getting `success` */
  grantedTo?: Narrow;
  /** the workflow a successful call signals; refused calls must not */
  workflow?: () => string;
  audited: boolean;
  /** the app to call when not `test.app`: one whose task queue a worker polls */
  app?: () => ApiTest['app'];
}

describe('authentication and authorization', () => {
  let test: ApiTest;
  let worker: ApiWorker;
  let scratch: string;
  const fixtures = { repoToEdit: 0, repoToDelete: 0, repoToSync: 0, subscription: 0, subscriptionToDelete: 0 };
  const subscriptions = '/api/notifications/subscriptions';
  const subscription = () => ({ project: test.project, url: 'https://hooks.example.com/deployer', format: 'cloudevents', events: ['*'] });
  const narrowTokens: Record<Narrow, string> = { readOnly: '', promoteOnly: '', approveOnly: '' };
  const env = (name: string) => `/api/projects/${test.project}/deployments/${name}`;
  const workflow = (name: string) => () => environmentWorkflowId(test.project, name);

  const routes: RouteCase[] = [
    { name: 'PATCH deployment', method: 'PATCH', path: () => env('m-patch'), json: () => ({ image_ref: 'web:1' }), lacksScope: ['readOnly', 'approveOnly'], success: 202, workflow: workflow('m-patch'), audited: true },
    { name: 'POST rollback', method: 'POST', path: () => `${env('m-rollback')}/rollback`, json: () => ({ to_release: 1 }), lacksScope: 'readOnly', success: 202, workflow: workflow('m-rollback'), audited: true },
    { name: 'POST stop', method: 'POST', path: () => `${env('m-stop')}/stop`, lacksScope: 'readOnly', success: 202, workflow: workflow('m-stop'), audited: true },
    { name: 'POST cancel', method: 'POST', path: () => `${env('m-cancel')}/cancel`, lacksScope: 'readOnly', success: 202, workflow: workflow('m-cancel'), audited: true },
    // Nothing waits for approval there: a caller that passes the guard learns so (409).
    ...(['approve', 'reject'] as const).map((decision) => ({
      name: `POST ${decision}`,
      method: 'POST',
      path: () => `${env('m-approve')}/${decision}`,
      json: () => ({ request_id: 'build-1', reason: 'checked' }),
      lacksScope: ['readOnly', 'promoteOnly'] as Narrow[],
      success: 409,
      grantedTo: 'approveOnly' as const,
      audited: true,
    })),
    {
      name: 'PUT environment',
      method: 'PUT',
      path: () => `/api/projects/${test.project}/environments/m-new`,
      json: () => ({ ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace: `${test.prefix}-m-new` }),
      lacksScope: 'promoteOnly',
      success: 201,
      audited: true,
    },
    {
      name: 'POST ops repo',
      method: 'POST',
      path: () => '/api/admin/ops-repos',
      json: () => ({ name: `${test.prefix}-created`, url: 'https://git.example.com/new.git' }),
      lacksScope: 'promoteOnly',
      success: 201,
      audited: true,
    },
    { name: 'PATCH ops repo', method: 'PATCH', path: () => `/api/admin/ops-repos/${fixtures.repoToEdit}`, json: () => ({ branch: 'next' }), lacksScope: 'promoteOnly', success: 200, audited: true },
    { name: 'DELETE ops repo', method: 'DELETE', path: () => `/api/admin/ops-repos/${fixtures.repoToDelete}`, lacksScope: 'promoteOnly', success: 204, audited: true },
    // A sync waits for a worker's poller to fetch the branch.
    {
      name: 'POST ops repo sync',
      method: 'POST',
      path: () => `/api/admin/ops-repos/${fixtures.repoToSync}/sync`,
      lacksScope: 'promoteOnly',
      success: 200,
      audited: true,
      app: () => worker.app,
    },
    { name: 'GET deployments', method: 'GET', path: () => `/api/projects/${test.project}/deployments`, lacksScope: 'promoteOnly', success: 200, audited: false },
    { name: 'GET deployment', method: 'GET', path: () => env('m-patch'), lacksScope: 'promoteOnly', success: 200, audited: false },
    { name: 'GET history', method: 'GET', path: () => `${env('m-patch')}/history`, lacksScope: 'promoteOnly', success: 200, audited: false },
    { name: 'GET request', method: 'GET', path: () => `${env('m-patch')}/requests/build-1`, lacksScope: 'promoteOnly', success: 200, audited: false },
    { name: 'GET ops repos', method: 'GET', path: () => '/api/admin/ops-repos', lacksScope: 'readOnly', success: 200, audited: false },
    { name: 'GET ops repo', method: 'GET', path: () => `/api/admin/ops-repos/${fixtures.repoToEdit}`, lacksScope: 'readOnly', success: 200, audited: false },
    { name: 'POST notification subscription', method: 'POST', path: () => subscriptions, json: subscription, lacksScope: 'promoteOnly', success: 201, audited: true },
    { name: 'DELETE notification subscription', method: 'DELETE', path: () => `${subscriptions}/${fixtures.subscriptionToDelete}`, lacksScope: 'promoteOnly', success: 204, audited: true },
    { name: 'GET notification subscriptions', method: 'GET', path: () => subscriptions, lacksScope: 'readOnly', success: 200, audited: false },
    { name: 'GET notification subscription', method: 'GET', path: () => `${subscriptions}/${fixtures.subscription}`, lacksScope: 'readOnly', success: 200, audited: false },
    { name: 'GET notification deliveries', method: 'GET', path: () => `${subscriptions}/${fixtures.subscription}/deliveries`, lacksScope: 'readOnly', success: 200, audited: false },
  ];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'api-auth-'));
    test = await setUpApiTest('auth');
    worker = await startApiWorker(test, join(scratch, 'cache'));
    narrowTokens.readOnly = await test.token('readOnly', ['deploy:read']);
    narrowTokens.promoteOnly = await test.token('promoteOnly', ['deploy:promote']);
    narrowTokens.approveOnly = await test.token('approveOnly', ['deploy:approve']);
    for (const name of ['m-patch', 'm-rollback', 'm-stop', 'm-cancel', 'm-approve']) {
      await registerTestEnvironment(test, test.project, name);
      test.started.add(environmentWorkflowId(test.project, name));
    }
    const repo = async (name: string, url: string, app = test.app) =>
      (await call(app, 'POST', '/api/admin/ops-repos', { token: test.tokens.admin, json: { name: `${test.prefix}-${name}`, url } })).body.id as number;
    fixtures.repoToEdit = await repo('edit', 'https://git.example.com/edit.git');
    fixtures.repoToDelete = await repo('delete', 'https://git.example.com/delete.git');
    // Created through the worker's app, so its poller runs where a worker answers the sync.
    const syncUrl = await createLocalGitRepo(join(scratch, 'ops'));
    fixtures.repoToSync = await repo('sync', syncUrl, worker.app);
    const subscribe = async () => (await call(test.app, 'POST', subscriptions, { token: test.tokens.admin, json: subscription() })).body.id as number;
    fixtures.subscription = await subscribe();
    fixtures.subscriptionToDelete = await subscribe();
    test.started.add(opsRepoPollerId(syncUrl, 'main'));
  });
  afterAll(async () => {
    await worker?.close();
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  describe.each(routes)('$name', (route) => {
    it('refuses every caller without the right token, then accepts an admin', async () => {
      const send = (headers: Record<string, string>) => call(route.app?.() ?? test.app, route.method, route.path(), { headers, json: route.json?.() });
      const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
      const refusals: Array<[string, Record<string, string>, number, string | undefined]> = [
        ['no token', {}, 401, undefined],
        ['a Basic header', { Authorization: 'Basic dXNlcjpwYXNz' }, 401, undefined],
        ['a token of the wrong shape', bearer('not-a-deployer-token'), 401, undefined],
        ['an unknown token', bearer(`dpl_${'x'.repeat(43)}`), 401, undefined],
        ['a revoked token', bearer(test.tokens.revoked), 401, undefined],
        ['a token of another project', bearer(test.tokens.otherProjectAdmin), 403, `${test.prefix}-other-admin`],
        ...[route.lacksScope].flat().map((narrow): [string, Record<string, string>, number, string] => [`a ${narrow} token`, bearer(narrowTokens[narrow]), 403, `${test.prefix}-${narrow}`]),
      ];
      const before = await rowCounts(test);
      for (const [caller, headers, status, actor] of refusals) {
        const response = await send(headers);
        expect({ caller, status: response.status }).toEqual({ caller, status });
        expect(response.body.error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
        if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        if (route.audited && actor) {
          const audits = (await auditRows(test)).filter((row) => row.actor === actor && row.details.path === new URL(route.path(), 'http://x').pathname);
          expect(audits.at(-1)).toMatchObject({ outcome: 'rejected', details: { status: 403 } });
        }
      }
      const after = await rowCounts(test);
      const audited = refusals.filter(([, , status]) => route.audited && status === 403).length;
      expect(after).toEqual({ ...before, audit: before.audit + audited });
      if (route.workflow) expect(await signalsOf(test.client, route.workflow())).toEqual([]);

      const accepted = await send(bearer(test.tokens.admin));
      expect(accepted.status).toBe(route.success);
      if (route.grantedTo) expect((await send(bearer(narrowTokens[route.grantedTo]))).status).toBe(route.success);
      if (route.workflow) expect((await signalsOf(test.client, route.workflow())).map((s) => s.payload.requestedBy)).toEqual([`${test.prefix}-admin`]);
    });
  });

  it('lets a project-bound token act on its own project only', async () => {
    const own = await call(test.app, 'POST', `${env('m-stop')}/stop`, { token: test.tokens.projectAdmin });
    expect(own.status).toBe(202);
    const admin = await call(test.app, 'GET', '/api/admin/ops-repos', { token: test.tokens.projectAdmin });
    expect(admin.status).toBe(403);
    expect(admin.body.error.message).toContain('global token');
  });

  it('stores only the sha256 of a token and marks it used', async () => {
    const { token, id } = await createApiToken(test.pool, { name: `${test.prefix}-hashed`, scopes: ['deploy:read'] });
    expect(token).toMatch(/^dpl_[A-Za-z0-9_-]{43}$/);
    const stored = await test.pool.query('SELECT * FROM api_tokens WHERE id = $1', [id]);
    expect(JSON.stringify(stored.rows[0])).not.toContain(token.slice(4));
    expect(stored.rows[0].last_used_at).toBeNull();
    await call(test.app, 'GET', `/api/projects/${test.project}/deployments`, { token });
    const used = await test.pool.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [id]);
    expect(used.rows[0].last_used_at).toBeInstanceOf(Date);
  });

  it('refuses to create a token with an unknown scope or a bad project', async () => {
    await expect(createApiToken(test.pool, { name: 'x', scopes: ['root' as never] })).rejects.toThrow(/unknown scope/);
    await expect(createApiToken(test.pool, { name: 'x', scopes: ['admin'], project: 'Not A Slug' })).rejects.toThrow(/not a slug/);
  });
});
