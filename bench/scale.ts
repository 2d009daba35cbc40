// Cold start of a fleet: every environment's first deploy sent at once, and the time until all of
// them are healthy, with the workers' memory. Usage: `npx tsx bench/scale.ts [--envs 1000]
// [--workers 1] [--code-dir DIR]` with the stack up. Target (issue 13): 1,000 in ≤ 4 min.
import { deployFleet, type FleetDeployResult } from './fleet/deploy-fleet.js';
import { withFleet, type Fleet } from './fleet/fleet.js';
import { isMainModule, parseBenchArgs, positiveInt } from './fleet/options.js';
import { measureCpu, peakRssBytes, rssBytes, sampleRss } from './fleet/proc-stats.js';
import { mib, pct, report, seconds, summarize } from './fleet/stats.js';

const usage = `usage: npx tsx bench/scale.ts [fleet options] [--timeout-s S]
  N environments deployed from cold, all deploys sent at once: wall time until all are healthy,
  the workers' peak RSS (VmHWM), failures.
  --timeout-s S   give up waiting after S seconds (default 900)`;

export const deployedImage = 'registry.example/bench/web:1.0.0';

/** Deploys the fleet from cold and reports the time, the failures and the workers' memory. */
export async function measureScale(fleet: Fleet, { timeoutMs }: { timeoutMs: number }): Promise<FleetDeployResult> {
  const options = fleet.options;
  const pids = fleet.workers.map((w) => w.pid);
  // VmHWM also holds the start-up peak (bundling the workflow code); RSS sampled from here on is the fleet's.
  const rssBefore = pids.map((pid) => rssBytes(pid) ?? 0);
  const rss = sampleRss(pids);
  const cpu = measureCpu(() => pids);
  const result = await deployFleet(fleet, deployedImage, { timeoutMs });
  const cpuUsed = cpu.stop();
  const rssSeen = rss.stop();
  const peaks = pids.map((pid) => peakRssBytes(pid) ?? 0);
  const perEnv = summarize(result.healthyMs);
  report(
    {
      benchmark: 'scale',
      label: options.label ?? '',
      codeCommit: fleet.codeCommit,
      options: { envs: options.envs, workers: options.workers, codeDir: options.codeDir, timeoutMs },
      figures: {
        allHealthyMs: result.allHealthyMs,
        sentMs: result.sentMs,
        healthy: result.healthyMs.length,
        failed: result.failures.length,
        failures: result.failures.slice(0, 10),
        perEnvironmentHealthyMs: perEnv,
        workerPeakRssBytes: peaks,
        workerPeakRssSumBytes: peaks.reduce((a, b) => a + b, 0),
        workerRssBeforeDeployBytes: rssBefore,
        workerPeakRssDuringDeployBytes: rssSeen.peakBytes,
        workerCpuSeconds: cpuUsed.cpuSeconds,
        workerCpuPercentOfCore: cpuUsed.percentOfCore,
      },
    },
    [
      ['envs', String(options.envs)],
      ['workers', String(options.workers)],
      ['all healthy', result.allHealthyMs !== undefined ? seconds(result.allHealthyMs) : `not all (${result.healthyMs.length}/${options.envs})`],
      ['per env p50 / p99', `${seconds(perEnv.p50)} / ${seconds(perEnv.p99)}`],
      ['failed', String(result.failures.length)],
      ['worker peak RSS (VmHWM), sum', mib(peaks.reduce((a, b) => a + b, 0))],
      ['per worker', peaks.map(mib).join(' + ')],
      ['RSS before → peak while deploying', rssBefore.map((before, i) => `${mib(before)} → ${mib(rssSeen.peakBytes[i])}`).join(', ')],
      ['worker CPU while deploying', pct(cpuUsed.percentOfCore)],
    ],
    options.out,
  );
  if (result.failures.length > 0) {
    console.error(`failures (first 5): ${result.failures.slice(0, 5).map((f) => `${f.environment} ${f.status}${f.error ? `: ${f.error.slice(0, 200)}` : ''}`).join('\n  ')}`);
  }
  return result;
}

if (isMainModule(import.meta.url)) {
  const { fleet: options, own } = parseBenchArgs(usage, { 'timeout-s': { type: 'string', default: '900' } });
  const timeoutMs = positiveInt('timeout-s', own['timeout-s']) * 1000;
  await withFleet(options, (fleet) => measureScale(fleet, { timeoutMs }));
}
