// What an idle fleet costs: after every environment is deployed, M minutes with nothing to do.
// Usage: `npx tsx bench/steady.ts [--envs 1000] [--minutes 10] [--code-dir DIR]` with the stack up.
// Target (issue 13): the idle worker under 10 % of one core.
import { environmentWorkflowId } from '../workflows/messages.js';
import { deployFleet } from './fleet/deploy-fleet.js';
import { withFleet, type Fleet } from './fleet/fleet.js';
import { countHistories, helperWorkflowIds, sample } from './fleet/histories.js';
import { assertAllHealthy, isMainModule, parseBenchArgs, positiveInt } from './fleet/options.js';
import { measureCpu, rssBytes } from './fleet/proc-stats.js';
import { stackProcesses } from './fleet/stack-processes.js';
import { mib, pct, report } from './fleet/stats.js';

const usage = `usage: npx tsx bench/steady.ts [fleet options] [--minutes M] [--settle-s S] [--sample K]
  After the fleet is deployed and S seconds have passed, M minutes idle: CPU of the workers and of
  the stack's servers (utime+stime as % of one core), activities per minute and history events
  per environment per hour (counted in the histories of K sampled environments, plus the run's
  helper workflows such as a cluster watcher or ops repo pollers, whose share is spread over all).
  --minutes M     idle window (default 10)
  --settle-s S    wait after the fleet is healthy, before measuring (default 30)
  --sample K      environments whose histories are counted (default 50)`;

export interface SteadyParams {
  minutes: number;
  settleMs: number;
  sampleSize: number;
}

/** With the fleet deployed: settles, then measures an idle window. */
export async function measureSteady(fleet: Fleet, { minutes, settleMs, sampleSize }: SteadyParams): Promise<void> {
  const options = fleet.options;
  console.error(`[steady] settling ${settleMs / 1000} s, then measuring ${minutes} min idle`);
  await new Promise((r) => setTimeout(r, settleMs));

  const workerPids = fleet.workers.map((w) => w.pid);
  const servers = stackProcesses();
  const from = Date.now();
  const workerCpu = measureCpu(() => workerPids);
  const serverCpu = servers.map((server) => ({ name: server.name, cpu: measureCpu(server.pids) }));
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  const worker = workerCpu.stop();
  const serversUsed = serverCpu.map(({ name, cpu }) => ({ name, ...cpu.stop() }));
  const to = Date.now();
  const workerRss = workerPids.map((pid) => rssBytes(pid) ?? 0);

  const sampled = sample(fleet.environments, sampleSize).map((e) => environmentWorkflowId(fleet.project, e.environment));
  const counts = await countHistories(fleet.temporal, sampled, from, to);
  const helpers = await helperWorkflowIds(fleet.temporal, fleet.taskQueue);
  const helperCounts = await countHistories(fleet.temporal, helpers, from, to);
  const windowMinutes = (to - from) / 60_000;
  // The sampled environments stand for all N; the helpers (one per run, not per environment) count once.
  const fleetWide = (sampledCount: number, helperCount: number) => (sampledCount / counts.workflows) * options.envs + helperCount;
  const activitiesPerMinute = fleetWide(counts.activitiesScheduled, helperCounts.activitiesScheduled) / windowMinutes;
  const eventsPerEnvironmentHour = (fleetWide(counts.events, helperCounts.events) / options.envs) * (60 / windowMinutes);
  const types = new Set([...Object.keys(counts.activitiesByType), ...Object.keys(helperCounts.activitiesByType)]);
  const byType = Object.fromEntries(
    [...types].map((type) => [type, Math.round((fleetWide(counts.activitiesByType[type] ?? 0, helperCounts.activitiesByType[type] ?? 0) / windowMinutes) * 10) / 10]),
  );
  const server = (name: string) => serversUsed.find((s) => s.name === name)?.percentOfCore;

  report(
    {
      benchmark: 'steady',
      label: options.label ?? '',
      codeCommit: fleet.codeCommit,
      options: { envs: options.envs, workers: options.workers, codeDir: options.codeDir, minutes, settleMs, sample: counts.workflows, driftIntervalMs: options.driftIntervalMs },
      figures: {
        windowMinutes,
        workerCpuPercentOfCore: worker.percentOfCore,
        workerCpuSeconds: worker.cpuSeconds,
        workerRssBytes: workerRss,
        servers: Object.fromEntries(serversUsed.map((s) => [s.name, { percentOfCore: s.percentOfCore, cpuSeconds: s.cpuSeconds }])),
        activitiesPerMinute,
        activitiesPerMinuteByType: byType,
        historyEventsPerEnvironmentHour: eventsPerEnvironmentHour,
        workflowTasksPerEnvironmentHour: (fleetWide(counts.workflowTasks, helperCounts.workflowTasks) / options.envs) * (60 / windowMinutes),
        sampledEnvironments: counts.workflows,
        helperWorkflows: helpers,
        helperEventsPerHour: (helperCounts.events * 60) / windowMinutes,
      },
    },
    [
      ['envs', String(options.envs)],
      ['idle', `${windowMinutes.toFixed(1)} min`],
      ['worker CPU', pct(worker.percentOfCore)],
      ['kube-apiserver CPU', pct(server('kube-apiserver'))],
      ['etcd CPU', pct(server('etcd'))],
      ['temporal CPU', pct(server('temporal'))],
      ['postgres CPU', pct(server('postgres'))],
      ['activities / min (fleet)', activitiesPerMinute.toFixed(1)],
      ['history events / env / h', eventsPerEnvironmentHour.toFixed(1)],
      ['worker RSS', workerRss.map(mib).join(' + ')],
    ],
    options.out,
  );
  console.error(`activities per minute by type: ${JSON.stringify(byType)}`);
}

if (isMainModule(import.meta.url)) {
  const { fleet: options, own } = parseBenchArgs(usage, {
    minutes: { type: 'string', default: '10' },
    'settle-s': { type: 'string', default: '30' },
    sample: { type: 'string', default: '50' },
  });
  const minutes = Number(own.minutes);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  const params = { minutes, settleMs: Number(own['settle-s']) * 1000, sampleSize: positiveInt('sample', own.sample) };
  await withFleet(options, async (fleet) => {
    assertAllHealthy(await deployFleet(fleet, 'registry.example/bench/web:1.0.0'), 'no steady state to measure');
    await measureSteady(fleet, params);
  });
}
