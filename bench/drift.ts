// How long a hand change to a managed object survives: with the fleet deployed and idling, a
// Deployment's image edited by another field manager (as `kubectl edit` does) or a managed object
// deleted, then the time until the deployer has put it back, watched on the object itself.
// Usage: `npx tsx bench/drift.ts [--envs 1000] [--trials 30] [--code-dir DIR]`.
// Target (issue 13): p99 ≤ 5 s. A timer-driven drift pass (every 60 s by default) corrects only
// when it comes round; the trials run overlapped on different environments so that waiting for it
// does not take 30 minutes.
import * as k8s from '@kubernetes/client-node';
import { deployFleet } from './fleet/deploy-fleet.js';
import { withFleet, type Fleet, type FleetEnvironment } from './fleet/fleet.js';
import { fleetObjects } from './fleet/ops-repo.js';
import { assertAllHealthy, isMainModule, parseBenchArgs, positiveInt } from './fleet/options.js';
import { ms, report, summarize } from './fleet/stats.js';
import { waitForObjectState, type WatchedObject } from './fleet/watch-object.js';

const usage = `usage: npx tsx bench/drift.ts [fleet options] [--trials T] [--spacing-ms S] [--timeout-s W] [--settle-s S]
  With the fleet deployed and idling, T trials, one every S ms on environments not already in a
  trial: alternately an edit of the Deployment's image by field manager "kubectl-edit" (strategic
  merge patch) and a deletion of a managed object (ConfigMap, Service, ServiceAccount, Deployment in
  turn); each timed from the API server's answer to the watch event showing the object restored.
  --trials T      trials (default 30)
  --spacing-ms S  time between trial starts (default 2000)
  --timeout-s W   a trial not corrected after W seconds counts as failed (default 180)
  --settle-s S    wait after the fleet is healthy, before the first trial (default 30)`;

const deployedImage = 'registry.example/bench/web:1.0.0';

export interface DriftParams {
  trials: number;
  spacingMs: number;
  timeoutMs: number;
  settleMs: number;
}

type Change = 'image-edit' | 'delete ConfigMap' | 'delete Service' | 'delete ServiceAccount' | 'delete Deployment';
const deletions: Change[] = ['delete ConfigMap', 'delete Service', 'delete ServiceAccount', 'delete Deployment'];

function changeFor(trial: number): Change {
  return trial % 2 === 0 ? 'image-edit' : deletions[Math.floor(trial / 2) % deletions.length]!;
}

interface Trial {
  environment: string;
  change: Change;
  correctedMs?: number;
  error?: string;
}

function imageOf(object: WatchedObject): string | undefined {
  return (object.spec as { template?: { spec?: { containers?: Array<{ name: string; image: string }> } } })?.template?.spec?.containers?.find((c) => c.name === fleetObjects.container)?.image;
}

/** Makes the change, then waits for the deployer to undo it; returns the time in between. */
async function runTrial(fleet: Fleet, env: FleetEnvironment, change: Change, timeoutMs: number): Promise<number> {
  const apps = fleet.kube.makeApiClient(k8s.AppsV1Api);
  const core = fleet.kube.makeApiClient(k8s.CoreV1Api);
  const namespace = env.namespace;
  if (change === 'image-edit') {
    // What runs there now (another benchmark of the same fleet may have deployed a new image).
    const running = (await apps.readNamespacedDeployment({ name: fleetObjects.deployment, namespace })).spec?.template.spec?.containers.find((c) => c.name === fleetObjects.container)?.image;
    await apps.patchNamespacedDeployment(
      {
        name: fleetObjects.deployment,
        namespace,
        fieldManager: 'kubectl-edit',
        body: { spec: { template: { spec: { containers: [{ name: fleetObjects.container, image: 'registry.example/bench/web:hand-edit' }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const changedAt = performance.now();
    const restoredAt = await waitForObjectState(
      fleet.kube,
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      fleetObjects.deployment,
      (type, object) => type !== 'DELETED' && imageOf(object) === running,
      timeoutMs,
    );
    return restoredAt - changedAt;
  }
  const deletion = {
    'delete ConfigMap': { name: fleetObjects.configMap, path: `/api/v1/namespaces/${namespace}/configmaps`, read: () => core.readNamespacedConfigMap({ name: fleetObjects.configMap, namespace }), remove: () => core.deleteNamespacedConfigMap({ name: fleetObjects.configMap, namespace }) },
    'delete Service': { name: fleetObjects.service, path: `/api/v1/namespaces/${namespace}/services`, read: () => core.readNamespacedService({ name: fleetObjects.service, namespace }), remove: () => core.deleteNamespacedService({ name: fleetObjects.service, namespace }) },
    'delete ServiceAccount': { name: fleetObjects.serviceAccount, path: `/api/v1/namespaces/${namespace}/serviceaccounts`, read: () => core.readNamespacedServiceAccount({ name: fleetObjects.serviceAccount, namespace }), remove: () => core.deleteNamespacedServiceAccount({ name: fleetObjects.serviceAccount, namespace }) },
    'delete Deployment': { name: fleetObjects.deployment, path: `/apis/apps/v1/namespaces/${namespace}/deployments`, read: () => apps.readNamespacedDeployment({ name: fleetObjects.deployment, namespace }), remove: () => apps.deleteNamespacedDeployment({ name: fleetObjects.deployment, namespace }) },
  }[change];
  const before = (await deletion.read()).metadata?.uid;
  await deletion.remove();
  const deletedAt = performance.now();
  // Restored = an object of that name with another uid: the one we deleted may still be listed
  // for a moment (finalizers), and must not pass for the new one.
  const restoredAt = await waitForObjectState(fleet.kube, deletion.path, deletion.name, (type, object) => type !== 'DELETED' && object.metadata?.uid !== before, timeoutMs);
  return restoredAt - deletedAt;
}

/** With the fleet deployed: settles, then runs the trials, overlapped, on distinct environments. */
export async function measureDrift(fleet: Fleet, { trials, spacingMs, timeoutMs, settleMs }: DriftParams): Promise<void> {
  const options = fleet.options;
  await new Promise((r) => setTimeout(r, settleMs));

  const busy = new Set<string>();
  const results: Trial[] = [];
  /** trials still waiting for their correction */
  const running = new Set<Promise<void>>();
  for (let i = 0; i < trials; i++) {
    let free = fleet.environments.filter((e) => !busy.has(e.environment));
    while (free.length === 0) {
      await Promise.race(running);
      free = fleet.environments.filter((e) => !busy.has(e.environment));
    }
    const env = free[Math.floor(Math.random() * free.length)]!;
    const trial: Trial = { environment: env.environment, change: changeFor(i) };
    results.push(trial);
    busy.add(env.environment);
    const done = runTrial(fleet, env, trial.change, timeoutMs)
      .then((elapsed) => {
        trial.correctedMs = elapsed;
      })
      .catch((error: Error) => {
        trial.error = error.message;
      })
      .finally(() => {
        busy.delete(env.environment);
        running.delete(done);
        console.error(`[drift] ${trial.change} in ${trial.environment}: ${trial.error ?? `restored after ${ms(trial.correctedMs)}`}`);
      });
    running.add(done);
    await new Promise((r) => setTimeout(r, spacingMs));
  }
  await Promise.all([...running]);

  const corrected = results.filter((t) => t.correctedMs !== undefined);
  const all = summarize(corrected.map((t) => t.correctedMs!));
  const edits = summarize(corrected.filter((t) => t.change === 'image-edit').map((t) => t.correctedMs!));
  const deleted = summarize(corrected.filter((t) => t.change !== 'image-edit').map((t) => t.correctedMs!));
  report(
    {
      benchmark: 'drift',
      label: options.label ?? '',
      codeCommit: fleet.codeCommit,
      options: { envs: options.envs, workers: options.workers, codeDir: options.codeDir, trials, spacingMs, timeoutMs, settleMs, driftIntervalMs: options.driftIntervalMs },
      figures: { correctedMs: all, imageEditMs: edits, deletionMs: deleted, failed: results.length - corrected.length, trials: results.map((t) => ({ ...t, correctedMs: t.correctedMs === undefined ? undefined : Math.round(t.correctedMs) })) },
    },
    [
      ['envs', String(options.envs)],
      ['trials', String(trials)],
      ['p50', ms(all.p50)],
      ['p99', ms(all.p99)],
      ['max', ms(all.max)],
      ['image edits p50 / max', `${ms(edits.p50)} / ${ms(edits.max)}`],
      ['deletions p50 / max', `${ms(deleted.p50)} / ${ms(deleted.max)}`],
      ['not corrected', String(results.length - corrected.length)],
    ],
    options.out,
  );
}

if (isMainModule(import.meta.url)) {
  const { fleet: options, own } = parseBenchArgs(usage, {
    trials: { type: 'string', default: '30' },
    'spacing-ms': { type: 'string', default: '2000' },
    'timeout-s': { type: 'string', default: '180' },
    'settle-s': { type: 'string', default: '30' },
  });
  const params = {
    trials: positiveInt('trials', own.trials),
    spacingMs: Number(own['spacing-ms']),
    timeoutMs: positiveInt('timeout-s', own['timeout-s']) * 1000,
    settleMs: Number(own['settle-s']) * 1000,
  };
  await withFleet(options, async (fleet) => {
    assertAllHealthy(await deployFleet(fleet, deployedImage), 'not a fleet at rest');
    await measureDrift(fleet, params);
  });
}
