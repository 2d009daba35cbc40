// The fleet page at 1,000 environments, in a real browser against the API on the stack's Postgres:
// every row is there on first load (no paging, no script needed), the time to first paint is
// measured and printed (bench/README.md keeps the figures; no test asserts a time), and a live
// status written for one environment in the middle still reaches its row without a reload.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/listen.js';
import { writeLiveStatuses } from '../../src/db/live-status.js';
import { setUpApiTest, type ApiTest } from '../api/support.js';
import { launchChromium } from '../support/chromium.js';
import { removeSeededFleet, seededEnvironmentName, seedFleet } from '../support/seed-fleet.js';

const ENVIRONMENTS = 1_000;

describe('the fleet page at 1,000 environments', () => {
  let test: ApiTest;
  let server: ApiServer;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    browser = await launchChromium();
    test = await setUpApiTest('dashboard-scale');
    await seedFleet(test.pool, test.project, ENVIRONMENTS);
    server = await startApiServer({ app: test.app, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (test) await removeSeededFleet(test.pool, test.project);
    await test?.close();
  });

  it('shows every environment on first load, and a live change to one of them without a reload', async () => {
    const context = await browser.newContext();
    await context.addCookies([{ name: 'deployer_session', value: test.tokens.reader, url: base }]);
    const page = await context.newPage();
    await page.goto(`${base}/?project=${test.project}`, { waitUntil: 'load' });
    const rows = page.locator('#fleet-tables tbody tr');
    expect(await rows.count()).toBe(ENVIRONMENTS);
    expect(await page.locator('.count').textContent()).toBe(`${ENVIRONMENTS} environments match the filters.`);
    expect(await page.locator('.status-waiting').count()).toBe(ENVIRONMENTS / 10);

    const timing = (await page.evaluate(`(() => {
      const navigation = performance.getEntriesByType('navigation')[0];
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      return { responseStart: navigation.responseStart, responseEnd: navigation.responseEnd, firstContentfulPaint: paint ? paint.startTime : null, load: navigation.loadEventEnd, bytes: navigation.transferSize };
    })()`)) as { responseStart: number; responseEnd: number; firstContentfulPaint: number | null; load: number; bytes: number };
    expect(timing.firstContentfulPaint).not.toBeNull();
    console.log(`[dashboard at ${ENVIRONMENTS} environments] first byte ${timing.responseStart.toFixed(0)} ms, last byte ${timing.responseEnd.toFixed(0)} ms, first contentful paint ${timing.firstContentfulPaint!.toFixed(0)} ms, load ${timing.load.toFixed(0)} ms, ${timing.bytes} bytes`);

    await page.waitForFunction(`htmx.find('#fleet')['htmx-internal-data']?.sseEventSource?.readyState === 1`);
    await page.evaluate('window.notReloaded = true');
    const middle = seededEnvironmentName(ENVIRONMENTS / 2 + 3);
    await writeLiveStatuses(test.pool, [{ project: test.project, environment: middle, status: { phase: 'deploying', detail: 'rollback, step apply', at: Date.now() } }]);
    await page.locator(`tr[id="env-${test.project}__${middle}"]`, { hasText: 'rollback, step apply' }).waitFor();
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await rows.count()).toBe(ENVIRONMENTS);
    await context.close();
  });
});
