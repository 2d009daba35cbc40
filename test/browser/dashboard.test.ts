// The web dashboard in a real browser (Debian's Chromium through playwright-core), served by the
// API on a free port, on the real stack: the sample, deployed by a real worker, shows healthy
// in the fleet, its page tells its history, and the session is a cookie no script can read, whose
// token never shows in a URL. A bad token gets an error and no data.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/listen.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { ensureSampleRepo, registerSample, sample } from '../../src/system/sample.js';
import { cliThroughApi, setUpApiTest, type ApiTest } from '../api/support.js';
import { launchChromium } from '../support/chromium.js';
import { testEnv } from '../support/env.js';
import { deployThroughApi } from '../support/deploy-through-api.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';

const IMAGE = sample.image;
const TEMPORAL_UI = 'http://127.0.0.1:8233';

describe('the dashboard in a browser', () => {
  let test: ApiTest;
  let worker: RealWorker;
  let server: ApiServer;
  let browser: Browser;
  let scratch: string;
  let base: string;
  let app: ApiTest['app'];
  const env = 'dev';
  let namespace: string;
  /** every URL the browser asked for, to prove no token went into one */
  const requested: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    test = await setUpApiTest('dashboard');
    scratch = await mkdtemp(join(tmpdir(), 'dashboard-'));
    const url = await ensureSampleRepo(join(scratch, 'ops'));
    const taskQueue = `${test.taskQueue}-worker`;
    worker = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig: loadKubeConfig(testEnv.kubeconfig), repoCacheDir: join(scratch, 'cache') });
    app = test.appWith({ taskQueue, temporalUiUrl: TEMPORAL_UI });
    namespace = `${test.project}-${env}`.slice(0, 63).replace(/-+$/, '');
    await registerSample(test.pool, { ...sample, project: test.project, environment: env, namespace }, url, { minIntervalMs: 0 });
    expect((await deployThroughApi(app, test, env, IMAGE, 'first release')).outcome).toBe('healthy');
    server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await worker?.close([`deploy/${test.project}/${env}`]);
    await loadKubeConfig(testEnv.kubeconfig).makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
    return { context, page };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForLoadState('load');
  }

  it('refuses a bad token with an error and shows no data', async () => {
    const { context, page } = await newPage();
    await signIn(page, `dpl_${'x'.repeat(43)}`);
    expect(await page.getByRole('alert').textContent()).toContain('Unknown or revoked token.');
    const html = await page.content();
    expect(html).not.toContain(test.project);
    expect(html).not.toContain(IMAGE);
    expect(await page.locator('table').count()).toBe(0);
    await signIn(page, 'not-a-token');
    expect(await page.getByRole('alert').textContent()).toContain('not a deployer token');
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('shows the deployed environment healthy in the fleet, and its page its history, on a read token kept in an HttpOnly cookie', async () => {
    const { context, page } = await newPage();
    await signIn(page, test.tokens.reader);
    expect(page.url()).toBe(`${base}/`);

    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'deployer_session', value: test.tokens.reader, httpOnly: true, sameSite: 'Strict', path: '/', secure: false });
    // What a script on the page sees (evaluated in the page, where `document` exists).
    expect(await page.evaluate('document.cookie')).toBe('');

    // The shared test database holds other runs' environments too: pick this run's project in the
    // filter, which htmx applies in place (the URL follows, so the view can be shared).
    await page.locator('#fleet').waitFor();
    await page.selectOption('select[name=project]', test.project);
    await page.waitForURL((url) => url.searchParams.get('project') === test.project);
    const project = page.locator('section.project', { has: page.getByRole('heading', { name: test.project, exact: true }) });
    const row = project.locator('tbody tr', { has: page.getByRole('link', { name: env, exact: true }) });
    await row.waitFor();
    expect(await row.locator('.status').textContent()).toBe('healthy');
    expect(await row.textContent()).toContain(IMAGE);

    // Filters run on the server: a status the environment does not have leaves it out, and a
    // piece of its image keeps it.
    await page.selectOption('select[name=status]', 'failed');
    await page.getByText('No environment matches these filters.').waitFor();
    await page.goto(`${base}/?q=${encodeURIComponent('sample/web:1.0')}&project=${test.project}`, { waitUntil: 'load' });
    await row.waitFor();

    await row.getByRole('link', { name: env, exact: true }).click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).toBe(`/projects/${test.project}/environments/${env}`);
    expect(await page.locator('h1 .status').textContent()).toBe('healthy');
    expect(await page.locator('.waiting-for').textContent()).toMatch(/idle: next safety-net drift pass at /);
    const history = page.locator('table.history tbody tr');
    expect(await history.count()).toBeGreaterThanOrEqual(1);
    const release = history.filter({ hasText: 'deploy' }).first();
    const text = await release.textContent();
    expect(text).toContain('healthy');
    expect(text).toContain(IMAGE);
    expect(text).toContain(`${test.prefix}-promoter: first release`);
    // The sample's objects, and its namespace, all new to the cluster: counted, and listed when unfolded.
    const changes = release.locator('details.changes');
    expect(await changes.locator('summary').textContent()).toMatch(/^\d+ created$/);
    await changes.locator('summary').click();
    const deployment = changes.locator('li.change-created', { hasText: `+ Deployment ${namespace}/${test.project} (created)` });
    await deployment.waitFor();
    expect(await deployment.textContent()).toContain(`spec.template.spec.containers[name=web].image: (unset) → "${IMAGE}"`);
    const link = await page.getByRole('link', { name: 'this run in the Temporal UI' }).getAttribute('href');
    const runUrl = new RegExp(`^${TEMPORAL_UI}/namespaces/default/workflows/${encodeURIComponent(`deploy/${test.project}/${env}`)}/[0-9a-f-]{36}/history$`);
    expect(link).toMatch(runUrl);
    // Each row links the run that wrote it.
    expect(await release.getByRole('link', { name: /^run [0-9a-f]{8}$/ }).getAttribute('href')).toMatch(runUrl);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    await page.locator('#token').waitFor();
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('shows a deploy made through the CLI in the fleet and on the environment page as it happens, without a reload', async () => {
    const next = 'registry.example/sample/web:1.1.0';
    const { context, page } = await newPage();
    await signIn(page, test.tokens.reader);
    await page.goto(`${base}/?project=${test.project}`, { waitUntil: 'load' });
    const row = page.locator(`tr[id="env-${test.project}__${env}"]`);
    expect(await row.locator('.status').textContent()).toBe('healthy');
    // Every status the row shows from now on, and a mark a reload would wipe.
    await page.evaluate(`(() => {
      window.seen = [];
      window.notReloaded = true;
      const note = () => { const status = document.querySelector('tr[id="env-${test.project}__${env}"] .status'); if (status) window.seen.push(status.textContent); };
      new MutationObserver(note).observe(document.getElementById('fleet-tables'), { childList: true, subtree: true, characterData: true });
    })()`);
    // The page listens before the deploy is asked for.
    await page.waitForFunction(`document.querySelector('#fleet').getAttribute('sse-connect') && htmx.find('#fleet')['htmx-internal-data']?.sseEventSource?.readyState === 1`);

    const deployed = await cliThroughApi(app, test.tokens.promoter, ['deploy', '--project', test.project, '--env', env, '--image', next, '--reason', 'live', '--wait']);
    expect(deployed.code).toBe(0);
    await row.filter({ hasText: next }).locator('.status', { hasText: 'healthy' }).waitFor();
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    const seen = (await page.evaluate('window.seen')) as string[];
    expect(seen).toContain('deploying');
    expect(seen.at(-1)).toBe('healthy');

    // The environment's page follows too: its history gains the release without a reload.
    await page.goto(`${base}/projects/${test.project}/environments/${env}`, { waitUntil: 'load' });
    await page.waitForFunction(`htmx.find('#environment-live').closest('[sse-connect]')['htmx-internal-data']?.sseEventSource?.readyState === 1`);
    await page.evaluate('window.notReloaded = true');
    const rolledBack = await cliThroughApi(app, test.tokens.promoter, ['rollback', '--project', test.project, '--env', env, '--reason', 'back', '--wait']);
    expect(rolledBack.code).toBe(0);
    await page.locator('table.history tbody tr', { hasText: 'rollback' }).first().waitFor();
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await context.close();
  });

  it('shows a project-bound token only its own project', async () => {
    const { context, page } = await newPage();
    await signIn(page, test.tokens.otherProjectAdmin);
    await page.locator('#fleet').waitFor();
    expect(await page.locator('#fleet').textContent()).not.toContain(test.project);
    await page.goto(`${base}/projects/${test.project}/environments/${env}`, { waitUntil: 'load' });
    expect(await page.getByRole('alert').textContent()).toContain(`bound to project ${test.otherProject}, not ${test.project}`);
    expect(await page.content()).not.toContain(IMAGE);
    await context.close();
  });

  it('never put a token in a URL', () => {
    expect(requested.length).toBeGreaterThan(0);
    for (const token of Object.values(test.tokens)) {
      expect(requested.filter((url) => url.includes(token))).toEqual([]);
    }
  });
});
