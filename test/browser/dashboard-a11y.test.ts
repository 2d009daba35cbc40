// The dashboard for everyone: axe-core finds no serious or critical accessibility problem on any
// page (sign-in, with and without an error; the fleet, with and without matches; an environment
// with history, whose drift correction and release values show), and on a 360 px wide phone no
// page scrolls sideways (tables scroll inside their own box) and a keyboard alone signs in from a
// deep link, lands on that page, and reaches the environment links and the sign-out button.
// Real browser, real worker, real cluster.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentPath } from '../../src/api/dashboard/paths.js';
import type { DashboardFleet } from '../support/dashboard-fleet.js';
import { startTestDashboardFleet } from '../support/test-dashboard-fleet.js';
import { launchChromium } from '../support/chromium.js';
import { uniqueSuffix } from '../support/env.js';

const PHONE = { width: 360, height: 740 };
const SIGN_OUT = 'form[action="/session/delete"] button';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

describe('the dashboard, for every user and every screen', () => {
  let browser: Browser;
  let fleet: DashboardFleet;
  let axeSource: string;
  const prefix = `a11y-${uniqueSuffix()}`;

  beforeAll(async () => {
    browser = await launchChromium();
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    fleet = await startTestDashboardFleet(prefix);
  });

  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
  });

  const showcasePath = () => environmentPath(fleet.showcase.project, fleet.showcase.environment);

  async function signIn(page: Page, token = fleet.readerToken): Promise<void> {
    await page.goto(`${fleet.base}/`, { waitUntil: 'load' });
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.locator('#fleet').waitFor();
  }

  /**
   * The page's serious and critical axe violations, each as "id: help (targets)". axe is evaluated
   * through the DevTools protocol (page.evaluate) rather than added as a <script> element: the
   * page's policy (script-src 'self') refuses inline scripts, which is what addScriptTag would add,
   * and the check should run against the page as it is served, policy included.
   */
  async function seriousViolations(page: Page): Promise<string[]> {
    await page.evaluate(axeSource);
    // (evaluated in the page, where `document` exists)
    const violations = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)")) as AxeViolation[];
    if (process.env.DASHBOARD_A11Y_ALL) console.log(page.url(), violations.map((violation) => `${violation.id} (${violation.impact}) ${JSON.stringify(violation.nodes.map((node) => node.target))}`));
    return violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')} ${violation.helpUrl}`);
  }

  it('has no serious or critical axe violation on any page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The check can fail: a page without a title, a language, and with an image without a text alternative.
    await page.setContent('<html><body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>');
    expect((await seriousViolations(page)).map((line) => line.split(' ')[0])).toEqual(['document-title', 'html-has-lang', 'image-alt']);

    const found: Record<string, string[]> = {};

    await page.goto(`${fleet.base}/`, { waitUntil: 'load' });
    found['sign-in'] = await seriousViolations(page);

    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await page.getByRole('alert').waitFor();
    found['sign-in with an error'] = await seriousViolations(page);

    await signIn(page);
    await page.goto(`${fleet.base}/?q=${prefix}`, { waitUntil: 'load' });
    await page.getByRole('heading', { name: fleet.projects[0], exact: true }).waitFor();
    found['fleet'] = await seriousViolations(page);

    await page.goto(`${fleet.base}/?q=${prefix}&status=failed`, { waitUntil: 'load' });
    await page.getByText('No environment matches these filters.').waitFor();
    found['fleet, no match'] = await seriousViolations(page);

    await page.goto(`${fleet.base}${showcasePath()}`, { waitUntil: 'load' });
    expect(await page.locator('table.history tbody tr').count()).toBeGreaterThanOrEqual(2);
    found['environment'] = await seriousViolations(page);

    // As one who may act: the forms of every action, and one with the field error a bad image gets.
    const operator = await browser.newContext();
    const acting = await operator.newPage();
    await signIn(acting, fleet.operatorToken);
    await acting.goto(`${fleet.base}${showcasePath()}`, { waitUntil: 'load' });
    await acting.locator('form.action').first().waitFor();
    found['environment, with actions'] = await seriousViolations(acting);
    await acting.fill('input[name=image_ref]', 'not an image');
    await acting.fill('form:has(input[name=image_ref]) [name=reason]', 'check');
    await acting.locator('form:has(input[name=image_ref]) button[type=submit]').click();
    await acting.locator('.field-error').first().waitFor();
    found['environment, with a field error'] = await seriousViolations(acting);
    await operator.close();

    expect(found).toEqual({
      'sign-in': [],
      'sign-in with an error': [],
      fleet: [],
      'fleet, no match': [],
      environment: [],
      'environment, with actions': [],
      'environment, with a field error': [],
    });
    await context.close();
  });

  it("shows, on the environment's page, when drift was last corrected and the values each release was deployed with", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${fleet.base}${showcasePath()}`, { waitUntil: 'load' });
    expect(await page.locator('.drift-corrected').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ — .*scaled to 1 by hand$/);
    const corrected = page.locator('table.history tbody tr', { has: page.locator('.status-corrected') });
    expect(await corrected.count()).toBe(1);
    const values = page.locator('table.history details.values').first();
    expect(await values.locator('pre').isVisible()).toBe(false);
    await values.locator('summary').click();
    expect(await values.locator('pre').textContent()).toBe('greeting: hello from the new checkout\nreplicas: 3');
    await context.close();
  });

  it('scrolls no page sideways on a 360 px wide screen', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const overflow = async () => (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    const widths: Record<string, number> = {};
    // Tables that scroll inside their box must still be reachable by keyboard: axe again, narrow.
    const found: Record<string, string[]> = {};
    await page.goto(`${fleet.base}/`, { waitUntil: 'load' });
    widths['sign-in'] = await overflow();
    await signIn(page);
    await page.goto(`${fleet.base}/?q=${prefix}`, { waitUntil: 'load' });
    widths['fleet'] = await overflow();
    found['fleet'] = await seriousViolations(page);
    await page.goto(`${fleet.base}${showcasePath()}`, { waitUntil: 'load' });
    widths['environment'] = await overflow();
    found['environment'] = await seriousViolations(page);
    // Pixels the page is wider than the screen, per page: none.
    expect(widths).toEqual({ 'sign-in': 0, fleet: 0, environment: 0 });
    expect(found).toEqual({ fleet: [], environment: [] });
    await context.close();
  });

  it('signs in from a deep link by keyboard alone on a phone, landing on that page, and reaches links and sign-out by Tab', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();

    /** Presses Tab until the focused element matches `selector`; fails after `limit` presses. */
    async function tabTo(selector: string, limit = 60): Promise<void> {
      for (let presses = 0; presses < limit; presses++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
      }
      throw new Error(`${limit} presses of Tab never reached ${selector} on ${page.url()}`);
    }

    const deepLink = `${showcasePath()}?from=chat`;
    await page.goto(`${fleet.base}${deepLink}`, { waitUntil: 'load' });
    await page.locator('#token').waitFor();
    await tabTo('#token');
    await page.keyboard.type(fleet.readerToken);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${fleet.base}${deepLink}`);
    await page.locator('table.history').waitFor();
    await tabTo(SIGN_OUT);

    await page.goto(`${fleet.base}/?q=${prefix}`, { waitUntil: 'load' });
    await tabTo(`a[href="${showcasePath()}"]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${fleet.base}${showcasePath()}`);
    await tabTo(SIGN_OUT);
    await page.keyboard.press('Enter');
    await page.locator('#token').waitFor();
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
