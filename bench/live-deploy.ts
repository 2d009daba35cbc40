// A deploy into a busy fleet: with every environment deployed and idling, deploys to random
// environments one after another, each timed from the signal to the healthy release.
// Usage: `npx tsx bench/live-deploy.ts [--envs 1000] [--deploys 30] [--code-dir DIR]`.
// Target (issue 13): p99 ≤ 3 s.
import { deployFleet } from './fleet/deploy-fleet.js';
import { withFleet, type Fleet } from './fleet/fleet.js';
import { assertAllHealthy, isMainModule, parseBenchArgs, positiveInt } from './fleet/options.js';
import { ms, report, summarize } from './fleet/stats.js';

const usage = `usage: npx tsx bench/live-deploy.ts [fleet options] [--deploys D] [--gap-ms G] [--settle-s S]
  With the fleet deployed and idling, D deploys of new images to random environments, one after
  another with G ms between them: deploy() → waitForRelease() resolving (state polled every 10 ms).
  --deploys D     deploys (default 30)
  --gap-ms G      pause between deploys (default 1000)
  --settle-s S    wait after the fleet is healthy, before the first deploy (default 30)`;

export interface LiveDeployParams {
  deploys: number;
  gapMs: number;
  settleMs: number;
}

/** With the fleet deployed: settles, then deploys to random environments one after another. */
export async function measureLiveDeploy(fleet: Fleet, { deploys, gapMs, settleMs }: LiveDeployParams): Promise<void> {
  const options = fleet.options;
  await new Promise((r) => setTimeout(r, settleMs));
  const latencies: number[] = [];
  const failures: string[] = [];
  for (let i = 1; i <= deploys; i++) {
    const env = fleet.environments[Math.floor(Math.random() * fleet.environments.length)]!;
    const key = { project: fleet.project, environment: env.environment };
    const started = performance.now();
    let outcome: string;
    try {
      const { requestId } = await fleet.deployer.deploy({ ...key, imageRef: `registry.example/bench/web:live-${i}`, requestedBy: 'bench' });
      await fleet.deployer.waitForRelease(key, requestId, { pollIntervalMs: 10, timeoutMs: 120_000 });
      latencies.push(performance.now() - started);
      outcome = `healthy after ${ms(latencies.at(-1))}`;
    } catch (error) {
      outcome = (error as Error).message;
      failures.push(`${env.environment}: ${outcome}`);
    }
    console.error(`[live-deploy] ${i}/${deploys} ${env.environment}: ${outcome}`);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  const stats = summarize(latencies);
  report(
    {
      benchmark: 'live-deploy',
      label: options.label ?? '',
      codeCommit: fleet.codeCommit,
      options: { envs: options.envs, workers: options.workers, codeDir: options.codeDir, deploys, gapMs, settleMs, driftIntervalMs: options.driftIntervalMs },
      figures: { signalToHealthyMs: stats, latenciesMs: latencies.map(Math.round), failures },
    },
    [
      ['envs', String(options.envs)],
      ['deploys', String(deploys)],
      ['p50', ms(stats.p50)],
      ['p90', ms(stats.p90)],
      ['p99', ms(stats.p99)],
      ['max', ms(stats.max)],
      ['failed', String(failures.length)],
    ],
    options.out,
  );
}

if (isMainModule(import.meta.url)) {
  const { fleet: options, own } = parseBenchArgs(usage, {
    deploys: { type: 'string', default: '30' },
    'gap-ms': { type: 'string', default: '1000' },
    'settle-s': { type: 'string', default: '30' },
  });
  const params = { deploys: positiveInt('deploys', own.deploys), gapMs: Number(own['gap-ms']), settleMs: Number(own['settle-s']) * 1000 };
  await withFleet(options, async (fleet) => {
    assertAllHealthy(await deployFleet(fleet, 'registry.example/bench/web:1.0.0'), 'not a fleet at rest');
    await measureLiveDeploy(fleet, params);
  });
}
