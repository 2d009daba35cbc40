// The deployer next to plain kubectl on one environment, in one run: the same rendered objects
// (read back from the deployer's own render) rolled out R times each way, alternating, each
// timed until the new pods are Ready:
//   deployer: deploy() through the SDK → waitForRelease() resolving (state polled every 10 ms);
//   kubectl:  `kubectl apply --server-side` + `kubectl rollout status` into a twin namespace.
// Usage: `npx tsx bench/vs-kubectl.ts [--rounds 10] [--code-dir DIR]` with the stack up.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { kubeParseOptions } from '../src/manifest/kube-yaml.js';
import { RUN_LABEL } from './fleet/cluster.js';
import { deployFleet } from './fleet/deploy-fleet.js';
import { withFleet, type Fleet } from './fleet/fleet.js';
import { fleetObjects } from './fleet/ops-repo.js';
import { releaseTimeline, type ReleaseTimeline } from './fleet/histories.js';
import { parseBenchArgs, positiveInt } from './fleet/options.js';
import { ms, report, summarize } from './fleet/stats.js';
import { environmentWorkflowId } from '../workflows/messages.js';

const run = promisify(execFile);

const usage = `usage: npx tsx bench/vs-kubectl.ts [fleet options] [--rounds R] [--kubectl PATH]
  One environment (--envs defaults to 1 here; more make a busier worker): R deploys of new images
  through the deployer, each followed by kubectl applying the same rendered objects with the same
  image to a twin namespace and waiting for its rollout. One warm-up round each is not counted.
  --rounds R      timed rounds (default 10)
  --kubectl PATH  the kubectl binary (default: kubectl on PATH)`;

const { fleet: options, own } = parseBenchArgs(usage, { rounds: { type: 'string', default: '10' }, kubectl: { type: 'string', default: 'kubectl' } }, { envs: '1' });
const rounds = positiveInt('rounds', own.rounds);
const kubectl = own.kubectl!;

async function kubectlVersion(): Promise<string> {
  try {
    const { stdout } = await run(kubectl, ['version', '--client', '-o', 'json']);
    return (JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'unknown';
  } catch (error) {
    throw new Error(`${kubectl} does not run (${(error as Error).message}): install kubectl (Debian: apt-get install kubectl) or pass --kubectl PATH`);
  }
}

/**
 * The objects the deployer rendered for the environment's current release, as one JSON `List`:
 * kubectl reads JSON exactly, where the stored YAML (1.1, with its directive) could be misread.
 */
async function renderedObjects(fleet: Fleet, environment: string): Promise<string> {
  // The environment's state row is written just after the release's healthy history row, which is
  // what the fleet's deploy waited for: give it a moment to land.
  const deadline = Date.now() + 10_000;
  let yaml: string | undefined;
  while (yaml === undefined) {
    const { rows } = await fleet.pool.query<{ yaml: string }>(
      `SELECT m.yaml FROM deployments d JOIN rendered_manifests m ON m.sha256 = d.manifest_hash WHERE d.project = $1 AND d.environment = $2`,
      [fleet.project, environment],
    );
    yaml = rows[0]?.yaml;
    if (yaml === undefined && Date.now() > deadline) throw new Error(`no rendered manifest recorded for ${environment} within 10 s of its healthy release`);
    if (yaml === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const items = YAML.parseAllDocuments(yaml, kubeParseOptions)
    .map((document) => document.toJS() as unknown)
    .filter((object) => object !== null);
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2);
}

await withFleet(options, async (fleet) => {
  const version = await kubectlVersion();
  const firstImage = 'registry.example/bench/web:1.0.0';
  const deployed = await deployFleet(fleet, firstImage);
  if (deployed.failures.length > 0) throw new Error(`the environment did not become healthy: ${JSON.stringify(deployed.failures[0])}`);
  const env = fleet.environments[0]!;
  const key = { project: fleet.project, environment: env.environment };
  const template = await renderedObjects(fleet, env.environment);
  if (!template.includes(firstImage)) throw new Error(`the rendered manifest does not contain ${firstImage}`);

  const twin = `${fleet.project}-kubectl`;
  await fleet.kube.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: twin, labels: { [RUN_LABEL]: fleet.run } } } });
  const kubectlEnv = { ...process.env, KUBECONFIG: fleet.kubeconfig };
  const kubectlRollout = async (image: string): Promise<number> => {
    const file = join(fleet.dir, 'kubectl.json');
    await writeFile(file, template.replaceAll(firstImage, image));
    const started = performance.now();
    await run(kubectl, ['apply', '--server-side', '--field-manager=kubectl-bench', '-n', twin, '-f', file], { env: kubectlEnv });
    await run(kubectl, ['rollout', 'status', `deployment/${fleetObjects.deployment}`, '-n', twin, '--timeout=120s'], { env: kubectlEnv });
    return performance.now() - started;
  };
  const timelines: ReleaseTimeline[] = [];
  const deployerRollout = async (image: string): Promise<number> => {
    const since = Date.now() - 5; // the signal's event time is the server's clock, same machine
    const started = performance.now();
    const { requestId } = await fleet.deployer.deploy({ ...key, imageRef: image, requestedBy: 'bench' });
    await fleet.deployer.waitForRelease(key, requestId, { pollIntervalMs: 10, timeoutMs: 120_000 });
    const took = performance.now() - started;
    const timeline = await releaseTimeline(fleet.temporal, environmentWorkflowId(fleet.project, env.environment), since, ['waitForRollout', 'rollOutRelease']);
    if (timeline) timelines.push(timeline);
    return took;
  };

  await kubectlRollout(firstImage); // warm-up: creates the twin's objects
  const viaDeployer: number[] = [];
  const viaKubectl: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    const image = `registry.example/bench/web:round-${i}`;
    viaDeployer.push(await deployerRollout(image));
    viaKubectl.push(await kubectlRollout(image));
    console.error(`[vs-kubectl] round ${i}: deployer ${ms(viaDeployer.at(-1))}, kubectl ${ms(viaKubectl.at(-1))}`);
  }
  const deployer = summarize(viaDeployer);
  const plain = summarize(viaKubectl);
  // Where a deploy's time goes, per activity, from the histories of the timed rounds (the warm-up's
  // is not among them: it was deployed before the first timeline was read).
  const stepFigures: Record<string, { queuedP50: number | undefined; ranP50: number | undefined; startedFromSignalP50: number | undefined }> = {};
  for (const activity of [...new Set(timelines.flatMap((t) => t.steps.map((s) => s.activity)))]) {
    const steps = timelines.flatMap((t) => t.steps.filter((s) => s.activity === activity));
    stepFigures[activity] = {
      queuedP50: summarize(steps.map((s) => s.startedMs - s.scheduledMs)).p50,
      ranP50: summarize(steps.map((s) => s.completedMs - s.startedMs)).p50,
      startedFromSignalP50: summarize(steps.map((s) => s.startedMs)).p50,
    };
  }
  // The activity that applies: applyManifests, or applyRelease where a release applies in one
  // activity (its load, sync and render run first, inside it).
  const applyStarted = summarize(timelines.flatMap((t) => t.steps.filter((s) => s.activity === 'applyManifests' || s.activity === 'applyRelease').map((s) => s.startedMs)));
  report(
    {
      benchmark: 'vs-kubectl',
      label: options.label ?? '',
      codeCommit: fleet.codeCommit,
      options: { envs: options.envs, workers: options.workers, codeDir: options.codeDir, rounds, kubectl: version },
      figures: { deployerMs: deployer, kubectlMs: plain, deployerRoundsMs: viaDeployer.map(Math.round), kubectlRoundsMs: viaKubectl.map(Math.round), signalToApplyStartedMs: applyStarted, steps: stepFigures },
    },
    [
      ['envs', String(options.envs)],
      ['rounds', String(rounds)],
      ['deployer p50 / p90 / max', `${ms(deployer.p50)} / ${ms(deployer.p90)} / ${ms(deployer.max)}`],
      [`kubectl ${version} p50 / p90 / max`, `${ms(plain.p50)} / ${ms(plain.p90)} / ${ms(plain.max)}`],
      ['deployer − kubectl (p50)', ms((deployer.p50 ?? 0) - (plain.p50 ?? 0))],
      ['signal → apply started p50 / p99', `${ms(applyStarted.p50)} / ${ms(applyStarted.p99)}`],
      ...Object.entries(stepFigures).map(([activity, f]): [string, string] => [
        `${activity}: started after signal / waited / ran (p50)`,
        `${ms(f.startedFromSignalP50)} / ${ms(f.queuedP50)} / ${ms(f.ranP50)}`,
      ]),
    ],
    options.out,
  );
});
