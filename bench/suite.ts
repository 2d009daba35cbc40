// The fleet benchmarks one after another on one fleet: scale (the cold deploy), then steady,
// live-deploy, drift and git on the fleet it deployed, so a full-size run deploys and tears down
// 1,000 environments once instead of five times. Each phase reports its own table row and JSON
// line, exactly as its own script does. Usage: `npx tsx bench/suite.ts [fleet options]
// [--steady-minutes M] [--skip PHASE,…]` with the stack up.
import { measureDrift } from './drift.js';
import { withFleet } from './fleet/fleet.js';
import { assertAllHealthy, parseBenchArgs, positiveInt } from './fleet/options.js';
import { measureGit, prepareWebhook } from './git.js';
import { measureLiveDeploy } from './live-deploy.js';
import { measureScale } from './scale.js';
import { measureSteady } from './steady.js';

const phases = ['steady', 'live-deploy', 'drift', 'git'] as const;

const usage = `usage: npx tsx bench/suite.ts [fleet options] [--steady-minutes M] [--timeout-s S] [--skip PHASE,...]
  scale (N environments from cold), then on that fleet: steady (M minutes idle), live-deploy
  (30 deploys), drift (30 trials), git (10 commits to one more app, 3 to every environment without and 3 with a webhook), each with its
  own script's defaults and a 30 s settle before it.
  --steady-minutes M   idle window of steady (default 10)
  --timeout-s S        give up waiting for the cold deploy after S seconds (default 1800)
  --skip PHASES        phases to leave out, comma-separated: ${phases.join(', ')}`;

const { fleet: options, own } = parseBenchArgs(usage, {
  'steady-minutes': { type: 'string', default: '10' },
  'timeout-s': { type: 'string', default: '1800' },
  skip: { type: 'string', default: '' },
});
const steadyMinutes = Number(own['steady-minutes']);
if (!(steadyMinutes > 0)) throw new Error('--steady-minutes must be a positive number');
const skipped = new Set((own.skip ?? '').split(',').map((p) => p.trim()).filter(Boolean));
for (const phase of skipped) {
  if (!(phases as readonly string[]).includes(phase)) throw new Error(`--skip: unknown phase ${JSON.stringify(phase)}; the phases are ${phases.join(', ')}`);
}
const settleMs = 30_000;
const timeoutMs = positiveInt('timeout-s', own['timeout-s']) * 1000;
const run = (phase: (typeof phases)[number]) => !skipped.has(phase);

await withFleet(options, async (fleet) => {
  console.error(`[suite] scale: ${options.envs} environments from cold`);
  assertAllHealthy(await measureScale(fleet, { timeoutMs }), 'the other phases need a fleet at rest');
  if (run('steady')) {
    console.error(`[suite] steady: ${steadyMinutes} min idle`);
    await measureSteady(fleet, { minutes: steadyMinutes, settleMs, sampleSize: 50 });
  }
  if (run('live-deploy')) {
    console.error('[suite] live-deploy: 30 deploys');
    await measureLiveDeploy(fleet, { deploys: 30, gapMs: 1_000, settleMs });
  }
  if (run('drift')) {
    console.error('[suite] drift: 30 trials');
    await measureDrift(fleet, { trials: 30, spacingMs: 2_000, timeoutMs: 180_000, settleMs });
  }
  if (run('git')) {
    console.error('[suite] git: 10 commits to one app with a webhook; 3 to every environment without a webhook, 3 with');
    const api = await prepareWebhook(fleet);
    await measureGit(fleet, api, { commits: 3, oneAppCommits: 10, jitterMs: 60_000, pollTimeoutMs: 150_000, webhookTimeoutMs: 60_000, settleMs });
  }
});
