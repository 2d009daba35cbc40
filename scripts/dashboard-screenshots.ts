// `npm run screenshots`: the README's pictures of the dashboard, taken from the real thing. On the
// running local stack (`npm run stack -- up`) it deploys a small fleet (projects demo-storefront
// and demo-payments, the sample application; see test/support/dashboard-fleet.ts), signs in with
// Chromium, and writes docs/dashboard-fleet.png, docs/dashboard-environment.png and
// docs/dashboard-narrow.png. The fleet has fixed names and is removed before and after, so the
// script can be run again whenever the pages change.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { environmentPath } from '../src/api/dashboard/paths.js';
import { closePools } from '../src/db/pool.js';
import { launchChromium } from '../test/support/chromium.js';
import { startDashboardFleet, type DashboardFleet } from '../test/support/dashboard-fleet.js';
import { installQuietRuntime } from '../test/support/temporal-runtime.js';
import { stackEnv, stackStatus } from './stack/index.js';

const PREFIX = 'demo';
const DOCS = fileURLToPath(new URL('../docs', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

const say = (line: string) => console.log(`[screenshots] ${line}`);

async function main(): Promise<void> {
  const status = await stackStatus();
  if (!status.ok) throw new Error(`the local stack is not up (npm run stack -- up):\n${status.lines.join('\n')}`);
  const env = stackEnv();
  installQuietRuntime();
  let fleet: DashboardFleet | undefined;
  let browser: Browser | undefined;
  try {
    fleet = await startDashboardFleet({
      prefix: PREFIX,
      databaseUrl: env.DATABASE_URL!,
      temporalAddress: env.TEMPORAL_ADDRESS!,
      temporalNamespace: env.TEMPORAL_NAMESPACE!,
      kubeconfig: env.KUBECONFIG!,
      temporalUiUrl: env.TEMPORAL_UI_URL,
      onProgress: say,
    });
    await mkdir(DOCS, { recursive: true });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${fleet.base}/`, { waitUntil: 'load' });
    await page.fill('#token', fleet.operatorToken);
    await page.click('button[type=submit]');
    await page.locator('#fleet').waitFor();

    // Only the demo fleet: the stack's database may hold other projects.
    await page.goto(`${fleet.base}/?q=${PREFIX}-`, { waitUntil: 'load' });
    await page.getByRole('heading', { name: fleet.projects[0], exact: true }).waitFor();
    await page.screenshot({ path: join(DOCS, 'dashboard-fleet.png') });
    say('wrote docs/dashboard-fleet.png');

    const showcase = `${fleet.base}${environmentPath(fleet.showcase.project, fleet.showcase.environment)}`;
    await page.goto(showcase, { waitUntil: 'load' });
    // Open the newest release's values, to show what they look like.
    await page.locator('table.history details.values summary').first().click();
    await page.screenshot({ path: join(DOCS, 'dashboard-environment.png'), fullPage: true });
    say('wrote docs/dashboard-environment.png');
    await context.close();

    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2 });
    const narrow = await phone.newPage();
    await narrow.goto(showcase, { waitUntil: 'load' });
    await narrow.fill('#token', fleet.readerToken);
    await narrow.click('button[type=submit]');
    await narrow.locator('table.history').waitFor();
    await narrow.screenshot({ path: join(DOCS, 'dashboard-narrow.png') });
    say('wrote docs/dashboard-narrow.png');
    await phone.close();
  } finally {
    await browser?.close();
    say('removing the demo fleet');
    await fleet?.close();
    await closePools();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
