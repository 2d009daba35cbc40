// The dashboard's buttons in a real browser (Debian's Chromium through playwright-core), with htmx,
// on the real stack: a promote token deploys a new image, rolls back to the first release and
// stops the environment through the forms, each followed on the page to its outcome and checked in
// the cluster; a malformed image ref comes back next to its input; a read token sees no buttons.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordActivities } from '../../activities/record.js';
import { startApiServer, type ApiServer } from '../../src/api/listen.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { ensureSampleRepo, registerSample, sample } from '../../src/system/sample.js';
import { call, setUpApiTest, type ApiTest } from '../api/support.js';
import { launchChromium } from '../support/chromium.js';
import { testEnv } from '../support/env.js';
import { deployThroughApi } from '../support/deploy-through-api.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';

const FIRST = sample.image;
/** Another tag of the sample: the stack's nodes run any image (its pods are simulated). */
const SECOND = 'registry.example/sample/web:1.1.0';
/** Long enough for a deployment to become healthy on a loaded stack. */
const OUTCOME_TIMEOUT_MS = 120_000;

describe('the dashboard actions in a browser', () => {
  let test: ApiTest;
  let worker: RealWorker;
  let server: ApiServer;
  let browser: Browser;
  let apps: k8s.AppsV1Api;
  let scratch: string;
  let base: string;
  const env = 'dev';
  let namespace: string;
  let environmentPage: string;
  /** an environment whose deploys wait for approval */
  const gated = 'prod';
  let gatedNamespace: string;
  let approver: string;

  beforeAll(async () => {
    browser = await launchChromium();
    test = await setUpApiTest('dashboard-actions');
    scratch = await mkdtemp(join(tmpdir(), 'dashboard-actions-'));
    const url = await ensureSampleRepo(join(scratch, 'ops'));
    const taskQueue = `${test.taskQueue}-worker`;
    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    worker = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig, repoCacheDir: join(scratch, 'cache') });
    const app = test.appWith({ taskQueue });
    namespace = `${test.project}-${env}`.slice(0, 63).replace(/-+$/, '');
    await registerSample(test.pool, { ...sample, project: test.project, environment: env, namespace }, url, { minIntervalMs: 0 });
    gatedNamespace = `${test.project}-${gated}`.slice(0, 63).replace(/-+$/, '');
    await registerSample(test.pool, { ...sample, project: test.project, environment: gated, namespace: gatedNamespace }, url, { minIntervalMs: 0 });
    approver = await test.token('approver', ['deploy:read', 'deploy:approve']);
    // The first release of each, through the API: the one the rollback returns to, and the one an
    // approval's diff is against (the gate is set once it runs: a first release's preview cannot
    // dry-run into a namespace that does not exist yet).
    for (const environment of [env, gated]) {
      expect((await deployThroughApi(app, test, environment, FIRST, 'first release')).outcome).toBe('healthy');
    }
    const gate = await call(app, 'PUT', `/api/projects/${test.project}/environments/${gated}`, {
      token: test.tokens.admin,
      json: { ops_repo: `${test.project}-ops`, manifest_path: 'app.yaml.njk', namespace: gatedNamespace, policy: { min_interval_ms: 0, approval: { required: true, expires_after: '1h' } } },
    });
    expect(gate.status, JSON.stringify(gate.body)).toBe(200);
    server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
    environmentPage = `${base}/projects/${test.project}/environments/${env}`;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await worker?.close([`deploy/${test.project}/${env}`, `deploy/${test.project}/${gated}`]);
    const core = loadKubeConfig(testEnv.kubeconfig).makeApiClient(k8s.CoreV1Api);
    for (const name of [namespace, gatedNamespace]) await core.deleteNamespace({ name }).catch(() => undefined);
    await test?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  async function signedIn(token: string, environment = env): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForLoadState('load');
    await page.goto(`${base}/projects/${test.project}/environments/${environment}`, { waitUntil: 'load' });
    return { context, page };
  }

  /** The web Deployment as the cluster has it (the sample names it after the project). */
  async function deployment(inNamespace = namespace): Promise<k8s.V1Deployment> {
    return await apps.readNamespacedDeployment({ name: test.project, namespace: inNamespace });
  }

  /** Waits for the followed request's final outcome on the page; answers the request id and the outcome's word. */
  async function finalOutcome(page: Page, taken = 'accepted'): Promise<{ requestId: string; outcome: string; text: string }> {
    const followed = page.locator('#action-result .request-outcome[data-final="true"]');
    await followed.waitFor({ timeout: OUTCOME_TIMEOUT_MS });
    const text = (await followed.textContent()) ?? '';
    expect(text).toMatch(new RegExp(`^${taken}: request `));
    return { requestId: (await followed.getAttribute('data-request-id'))!, outcome: (await followed.locator('.status').textContent()) ?? '', text };
  }

  it('deploys a new image, rolls back to the first release and stops, through the buttons, each reaching the cluster', async () => {
    const { context, page } = await signedIn(test.tokens.promoter);
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe(FIRST);

    // Deploy, with values for this release only.
    await page.getByLabel('Image').fill(SECOND);
    await page.getByLabel('Values for this release (YAML or JSON, optional)').fill('greeting: from the dashboard');
    await page.locator('form.action-deploy').getByLabel('Reason').fill('try 1.1.0');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    // The section is swapped in place: the page did not navigate.
    expect(new URL(page.url()).pathname).toBe(`/projects/${test.project}/environments/${env}`);
    const deployed = await finalOutcome(page);
    expect(deployed.outcome).toBe('healthy');
    expect(deployed.text).toContain(SECOND);
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe(SECOND);
    const { body: detail } = await call(test.appWith({}), 'GET', `/api/projects/${test.project}/deployments/${env}/history`, { token: test.tokens.reader });
    expect(detail.items.find((row: { request_id: string }) => row.request_id === deployed.requestId)).toMatchObject({
      action: 'deploy',
      status: 'healthy',
      reason: 'try 1.1.0',
      requested_by: `${test.prefix}-promoter`,
      values_override: { greeting: 'from the dashboard' },
    });

    // Roll back to the first release, chosen by its image among the healthy releases.
    await page.goto(environmentPage, { waitUntil: 'load' });
    const target = page.locator('#rollback-to-release option', { hasText: FIRST });
    await page.selectOption('#rollback-to-release', (await target.getAttribute('value'))!);
    await page.locator('form.action-rollback').getByLabel('Reason').fill('back to 1.0.0');
    await page.getByRole('button', { name: 'Roll back', exact: true }).click();
    const rolledBack = await finalOutcome(page);
    expect(rolledBack.outcome).toBe('healthy');
    expect(rolledBack.text).toContain(FIRST);
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe(FIRST);

    // Stop: the workloads scale to zero.
    await page.goto(environmentPage, { waitUntil: 'load' });
    await page.locator('form.action-stop').getByLabel('Reason').fill('for the night');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const stopped = await finalOutcome(page);
    expect(stopped.outcome).toBe('stopped');
    expect((await deployment()).spec?.replicas).toBe(0);
    await page.goto(environmentPage, { waitUntil: 'load' });
    expect(await page.locator('h1 .status').textContent()).toBe('stopped');
    await context.close();
  });

  it('shows a malformed image ref next to the image input, keeping what was typed, and sends nothing', async () => {
    const { context, page } = await signedIn(test.tokens.promoter);
    const before = (await deployment()).metadata?.generation;
    await page.getByLabel('Image').fill('Not An Image!');
    await page.locator('form.action-deploy').getByLabel('Reason').fill('typo');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const error = page.locator('#deploy-image-ref-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^image_ref: /);
    const input = page.getByLabel('Image');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await input.getAttribute('aria-describedby')).toBe('deploy-image-ref-error');
    expect(await input.inputValue()).toBe('Not An Image!');
    expect(await page.locator('form.action-deploy').getByLabel('Reason').inputValue()).toBe('typo');
    expect(await page.getByRole('alert').textContent()).toContain('deploy refused:');
    expect(await page.locator('.request-outcome').count()).toBe(0);
    expect((await deployment()).metadata?.generation).toBe(before);
    await context.close();
  });

  it('puts the diff of a deploy waiting for approval in front of the approver, whose approval sends it to the cluster', async () => {
    // The promoter asks; the deploy waits at the gate, and the page follows it.
    const asking = await signedIn(test.tokens.promoter, gated);
    await asking.page.getByLabel('Image').fill(SECOND);
    await asking.page.locator('form.action-deploy').getByLabel('Reason').fill('first release of prod');
    await asking.page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const pending = asking.page.locator('#action-result .request-outcome');
    await pending.waitFor();
    const requestId = (await pending.getAttribute('data-request-id'))!;
    // A promote token has no approval scope: no approval form for it, even once the deploy waits.
    expect(await asking.page.locator('form.action-approval').count()).toBe(0);

    const detail = `/api/projects/${test.project}/deployments/${gated}`;
    await expect
      .poll(async () => (await call(test.appWith({}), 'GET', detail, { token: test.tokens.reader })).body.workflow?.state?.approval?.requestId, { timeout: OUTCOME_TIMEOUT_MS })
      .toBe(requestId);
    // A long wait for approval gathers newer history rows (drift passes correct the live release
    // meanwhile): more than the page lists. The diff is the awaiting request's, read by its id.
    const { recordHistory } = createRecordActivities({ pool: test.pool });
    for (let i = 0; i < 25; i += 1) {
      const at = new Date().toISOString();
      await recordHistory({ idempotencyKey: `${test.project}-${gated}-drift-${i}`, project: test.project, environment: gated, action: 'drift', status: 'corrected', imageRef: FIRST, requestedBy: 'drift', reason: 'noticed: a replica count edited', startedAt: at, finishedAt: at });
    }

    const deciding = await signedIn(approver, gated);
    const form = deciding.page.locator('form.action-approval');
    expect(await form.locator('legend').textContent()).toBe(`Approve or reject the deploy ${requestId}`);
    const diff = form.locator('.release-changes');
    // Only the Deployment's image changes.
    expect(await diff.locator('p').first().textContent()).toMatch(/^What it changes: 1 configured, \d+ unchanged$/);
    expect(await diff.locator('li.change-configured').textContent()).toBe(
      `~ Deployment ${gatedNamespace}/${test.project} (configured)spec.template.spec.containers[name=web].image: "${FIRST}" → "${SECOND}"`,
    );
    expect((await deployment(gatedNamespace)).spec?.template.spec?.containers[0]?.image).toBe(FIRST);
    // The deploy and stop forms are not this token's.
    expect(await deciding.page.locator('form.action-deploy').count()).toBe(0);

    await form.getByLabel('Reason').fill('reviewed the diff');
    await form.getByRole('button', { name: 'Approve' }).click();
    const approved = await finalOutcome(deciding.page, 'approved');
    expect(approved.requestId).toBe(requestId);
    expect(approved.outcome).toBe('healthy');
    expect((await deployment(gatedNamespace)).spec?.template.spec?.containers[0]?.image).toBe(SECOND);
    // The promoter's page, still following its request, sees the same outcome.
    expect((await finalOutcome(asking.page)).outcome).toBe('healthy');
    await asking.context.close();
    await deciding.context.close();
  });

  it('shows a read token no buttons, and refuses the deploy it forges', async () => {
    const { context, page } = await signedIn(test.tokens.reader);
    expect(await page.locator('h1').textContent()).toContain(`${test.project}/${env}`);
    expect(await page.locator('#actions').count()).toBe(0);
    // The only button is the layout's sign-out.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    // A deploy forged from the page itself (same origin, the session's cookie) is refused for the token's scopes, and reaches nothing.
    const before = (await deployment()).spec?.template.spec?.containers[0]?.image;
    const forged = (await page.evaluate(`fetch(location.pathname + '/deploy', {
      method: 'POST',
      body: new URLSearchParams({ image_ref: 'registry.example/sample/web:6.6.6', reason: 'forged' }),
    }).then(async (response) => ({ status: response.status, text: await response.text() }))`)) as { status: number; text: string };
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('deploy:promote');
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe(before);
    await context.close();
  });
});
