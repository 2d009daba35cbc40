// The dashboard's fleet page at size, in Debian's Chromium against the API on the stack's Postgres:
// N environments written straight into the database (test/support/seed-fleet.ts: a recorded
// release each, a tenth waiting for approval, a tenth deploying, a fifth with a drift correction),
// then L loads of `/?project=P` in fresh browser contexts, each timed by the browser itself
// (Navigation Timing and Paint Timing): first byte, last byte, first contentful paint, load.
// One warm-up load is not counted. `--code-dir DIR` serves the API of another checkout of this
// repository (its src/api/app.ts), for a before/after on the same database and machine.
// Usage: `npx tsx bench/dashboard.ts [--envs 1000] [--loads 20] [--code-dir DIR]` with the stack up.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { Hono } from 'hono';
import { startApiServer } from '../src/api/listen.js';
import { createApiToken } from '../src/auth/tokens.js';
import { migrate } from '../src/db/migrate.js';
import { closePools, getPool } from '../src/db/pool.js';
import { launchChromium } from '../test/support/chromium.js';
import { testEnv } from '../test/support/env.js';
import { removeSeededFleet, seedFleet } from '../test/support/seed-fleet.js';
import { awaitQuietMachine } from './fleet/machine.js';
import { ms, report, summarize } from './fleet/stats.js';

const { values } = parseArgs({ options: { envs: { type: 'string', default: '1000' }, loads: { type: 'string', default: '20' }, 'code-dir': { type: 'string' }, label: { type: 'string', default: 'dashboard' } } });
const envs = Number(values.envs);
const loads = Number(values.loads);
const codeDir = values['code-dir'] ?? join(import.meta.dirname, '..');
const codeCommit = execFileSync('git', ['-C', codeDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

const { createApp } = (await import(pathToFileURL(join(codeDir, 'src/api/app.ts')).href)) as { createApp: (deps: Record<string, unknown>) => Hono };
const pool = getPool(testEnv.databaseUrl);
await migrate(pool);
const connection = await Connection.connect({ address: testEnv.temporalAddress });
const project = `bench-dashboard-${Date.now().toString(36)}`;
const { token } = await createApiToken(pool, { name: `${project}-reader`, scopes: ['deploy:read'] });
await seedFleet(pool, project, envs);
const server = await startApiServer({ app: createApp({ pool, temporalClient: new Client({ connection, namespace: testEnv.temporalNamespace }) }), port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${server.port}`;
const browser = await launchChromium();

interface Timing {
  firstByte: number;
  lastByte: number;
  firstContentfulPaint: number;
  load: number;
  bytes: number;
  rows: number;
  /** the start of the page's text, to tell what it showed instead */
  text: string;
}

async function loadOnce(): Promise<Timing> {
  const context = await browser.newContext();
  try {
    await context.addCookies([{ name: 'deployer_session', value: token, url: base }]);
    const page = await context.newPage();
    await page.goto(`${base}/?project=${project}`, { waitUntil: 'load' });
    return (await page.evaluate(`new Promise((resolve) => {
      // Paint entries can land just after the load event: wait for the first contentful one.
      new PerformanceObserver((list, observer) => {
        const paint = list.getEntriesByName('first-contentful-paint')[0];
        if (!paint) return;
        observer.disconnect();
        const navigation = performance.getEntriesByType('navigation')[0];
        resolve({ firstByte: navigation.responseStart, lastByte: navigation.responseEnd, firstContentfulPaint: paint.startTime, load: navigation.loadEventEnd, bytes: navigation.transferSize, rows: document.querySelectorAll('main tbody tr').length, text: (document.querySelector('main') ?? document.body)?.textContent?.slice(0, 300) });
      }).observe({ type: 'paint', buffered: true });
    })`)) as Timing;
  } finally {
    await context.close();
  }
}

try {
  await awaitQuietMachine((line) => console.error(line), { timeoutMs: 60_000 });
  const warmUp = await loadOnce();
  if (warmUp.rows !== envs) throw new Error(`the page showed ${warmUp.rows} rows, not ${envs}: ${warmUp.text}`);
  const timings: Timing[] = [];
  for (let i = 0; i < loads; i += 1) timings.push(await loadOnce());
  const of = (pick: (timing: Timing) => number) => summarize(timings.map(pick));
  const [firstByte, lastByte, paint, load] = [of((t) => t.firstByte), of((t) => t.lastByte), of((t) => t.firstContentfulPaint), of((t) => t.load)];
  report(
    { benchmark: 'dashboard', label: values.label!, codeCommit, options: { envs, loads }, figures: { firstByte, lastByte, firstContentfulPaint: paint, load, bytes: warmUp.bytes } },
    [
      ['environments', String(envs)],
      ['first byte p50 / p90', `${ms(firstByte.p50)} / ${ms(firstByte.p90)}`],
      ['first contentful paint p50 / p90 / max', `${ms(paint.p50)} / ${ms(paint.p90)} / ${ms(paint.max)}`],
      ['load p50', ms(load.p50)],
      ['page', `${Math.round(warmUp.bytes / 1024)} KiB`],
    ],
  );
} finally {
  await browser.close();
  await server.close();
  await removeSeededFleet(pool, project);
  await pool.query('DELETE FROM api_tokens WHERE name = $1', [`${project}-reader`]);
  await connection.close();
  await closePools();
}
