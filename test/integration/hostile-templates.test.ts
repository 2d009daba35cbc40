// An ops-repo author and a deploy:promote token holder with bad intent, against a real worker on
// the stack's Temporal, Postgres and Kubernetes: every escape route fails its release with the
// right error type on the first attempt and leaves no trace of the worker's secrets anywhere;
// an endless loop and a memory bomb fail their release while another environment deploys
// normally at the same time; an injected value stays one string.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployerClient, ReleaseFailedError } from '../../src/client/deployer-client.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment, type SampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

const SECRET = `s3cr3t-${uniqueSuffix()}-${uniqueSuffix()}`;
const SECRET_ENV = 'DEPLOYER_HOSTILE_TEST_SECRET';

type Environment = SampleEnvironment;

describe('hostile templates and values against a real worker', () => {
  const suffix = uniqueSuffix();
  const taskQueue = `hostile-${suffix}`;
  const dirs: string[] = [];
  const environments: Environment[] = [];
  let real: RealWorker;
  let deployer: DeployerClient;
  let core: k8s.CoreV1Api;
  let hostile: Environment;
  let good: Environment;
  const pool = () => getPool(testEnv.databaseUrl);

  async function environmentFor(project: string): Promise<Environment> {
    const env = await registerSampleEnvironment(pool(), project, 'dev', { minIntervalMs: 100, driftIntervalMs: 600_000, healthTimeoutMs: 60_000 });
    dirs.push(env.dir);
    environments.push(env);
    return env;
  }

  async function commitTemplate(env: Environment, text: string, file = 'app.yaml.njk'): Promise<void> {
    await writeFile(join(env.dir, file), text);
    await env.repo.add('.').commit(`template ${Date.now()}`);
  }

  async function deploy(env: Environment, imageRef: string, valuesOverride?: Record<string, unknown>) {
    const { requestId } = await deployer.deploy({ ...env.key, imageRef, valuesOverride, requestedBy: 'hostile-test' });
    return deployer.waitForRelease(env.key, requestId, { timeoutMs: 90_000, pollIntervalMs: 50 });
  }

  /** The release's failure, and how the render activity failed in the workflow history. */
  async function failedRender(env: Environment, imageRef: string, valuesOverride?: Record<string, unknown>) {
    const started = Date.now();
    const error = await deploy(env, imageRef, valuesOverride).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsedMs = Date.now() - started;
    expect(error).toBeInstanceOf(ReleaseFailedError);
    const history = await real.client.workflow.getHandle(`deploy/${env.key.project}/${env.key.environment}`).fetchHistory();
    const failures = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    const last = failures.at(-1)!.activityTaskFailedEventAttributes!;
    const scheduled = (history.events ?? []).find((e) => String(e.eventId) === String(last.scheduledEventId));
    return {
      error: error as ReleaseFailedError,
      type: last.failure?.applicationFailureInfo?.type,
      nonRetryable: last.failure?.applicationFailureInfo?.nonRetryable,
      activity: scheduled?.activityTaskScheduledEventAttributes?.activityType?.name,
      attempts: failures.filter((e) => String(e.activityTaskFailedEventAttributes?.scheduledEventId) === String(last.scheduledEventId)).length,
      elapsedMs,
    };
  }

  beforeAll(async () => {
    installQuietRuntime();
    process.env[SECRET_ENV] = SECRET;
    await migrate(pool());
    const outside = await mkdtemp(join(tmpdir(), 'deployer-hostile-outside-'));
    const cacheDir = await mkdtemp(join(tmpdir(), 'deployer-hostile-cache-'));
    dirs.push(outside, cacheDir);
    await writeFile(join(outside, 'secret.txt'), `${SECRET}\n`);
    hostile = await environmentFor(`hostile-${suffix}`);
    good = await environmentFor(`good-${suffix}`);
    await symlink(join(outside, 'secret.txt'), join(hostile.dir, 'linked-secret.txt'));
    await hostile.repo.add('.').commit('a symlink out of the repo');

    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    real = await startRealWorker({ taskQueue, pool: pool(), kubeConfig, repoCacheDir: cacheDir });
    deployer = real.deployer;
  });

  afterAll(async () => {
    await real?.close(environments.map((env) => `deploy/${env.key.project}/${env.key.environment}`));
    for (const env of environments) await core?.deleteNamespace({ name: env.namespace }).catch(() => undefined);
    await closePools();
    delete process.env[SECRET_ENV];
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const configMap = (body: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loot\ndata:\n  loot: ${body}\n`;

  it.each([
    ['range.constructor', 'TemplateForbidden', configMap(`{{ range.constructor.constructor("return process")().env.${SECRET_ENV} }}`)],
    ['cycler', 'TemplateForbidden', configMap(`{{ cycler(1).next.constructor("return process")().env.${SECRET_ENV} }}`)],
    ['joiner', 'TemplateForbidden', configMap(`{{ joiner().constructor.constructor("return process")().env.${SECRET_ENV} }}`)],
    ['loop', 'TemplateForbidden', `{% for x in [1] %}${configMap(`{{ loop.constructor.constructor("return process")().env.${SECRET_ENV} }}`)}{% endfor %}`],
    ['__proto__', 'TemplateForbidden', configMap('{{ values.__proto__.constructor.constructor("return process")() }}')],
    ['process.getBuiltinModule', 'TemplateForbidden', configMap('{{ values.process.getBuiltinModule("fs").readFileSync("/etc/passwd") }}')],
    ['include of an absolute path', 'TemplateForbidden', configMap('{% include "/etc/passwd" %}')],
    ['include through a symlink out of the repo', 'TemplateForbidden', configMap('{% include "linked-secret.txt" %}')],
  ])('%s fails the release as %s on the first attempt', async (_name, type, template) => {
    await commitTemplate(hostile, template);
    const failed = await failedRender(hostile, 'registry.example/hostile/web:1');
    // The render runs inside the release's one activity up to the apply.
    expect(failed).toMatchObject({ activity: 'applyRelease', type, nonRetryable: true, attempts: 1 });
    expect(failed.error.outcome).toBe('failed');
    expect(failed.error.message).not.toContain(SECRET);
  });

  it('an endless loop and a memory bomb fail within the limits while another environment deploys', async () => {
    await commitTemplate(hostile, '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}');
    const spinning = failedRender(hostile, 'registry.example/hostile/web:spin');
    // The good environment deploys while the hostile render spins on the same worker.
    const goodStarted = Date.now();
    const release = await deploy(good, 'registry.example/good/web:1.0.0');
    const goodMs = Date.now() - goodStarted;
    const spin = await spinning;
    expect(release).toMatchObject({ status: 'healthy', imageRef: 'registry.example/good/web:1.0.0' });
    expect(spin).toMatchObject({ type: 'TemplateTimeout', nonRetryable: true, attempts: 1 });
    expect(spin.error.reason).toMatch(/app\.yaml\.njk: rendering used more than 5000 ms of CPU time/);
    // The good deploy finished while the hostile render was still being stopped.
    expect(goodMs).toBeLessThan(spin.elapsedMs);
    expect(spin.elapsedMs).toBeLessThan(30_000);
    console.info(`hostile render stopped after ${spin.elapsedMs} ms; the good deploy took ${goodMs} ms meanwhile`);

    await commitTemplate(hostile, '{% set a = [] %}{% for i in range(100000000) %}{% set _ = a.push("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" ~ i) %}{% endfor %}');
    const bombing = failedRender(hostile, 'registry.example/hostile/web:bomb');
    const second = await deploy(good, 'registry.example/good/web:1.1.0');
    const bomb = await bombing;
    expect(second).toMatchObject({ status: 'healthy', imageRef: 'registry.example/good/web:1.1.0' });
    expect(bomb).toMatchObject({ type: 'TemplateMemory', nonRetryable: true, attempts: 1 });
  });

  it('a values override that tries to add a document renders as one harmless string', async () => {
    const injection = '1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pwned\n  namespace: kube-system';
    const release = await deploy(good, 'registry.example/good/web:1.2.0', { greeting: injection });
    expect(release.status).toBe('healthy');
    const live = await core.readNamespacedConfigMap({ name: `${good.key.project}-config`, namespace: good.namespace });
    expect(live.data?.greeting).toBe(injection);
    await expect(core.readNamespacedConfigMap({ name: 'pwned', namespace: 'kube-system' })).rejects.toMatchObject({ code: 404 });
    // Where the value must be a number, the values schema refuses it before rendering.
    const refused = await failedRender(good, 'registry.example/good/web:1.3.0', { replicas: injection });
    expect(refused).toMatchObject({ type: 'ValuesInvalid', nonRetryable: true, attempts: 1 });
    expect(refused.error.reason).toContain('values.replicas');
  });

  it('refuses a YAML alias bomb and a manifest that aliases expand past 1 MiB, without retries', async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    await commitTemplate(hostile, `{% raw %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n${laughs.join('\n')}\n{% endraw %}`);
    const bomb = await failedRender(hostile, 'registry.example/hostile/web:lol');
    expect(bomb).toMatchObject({ type: 'TemplateTooLarge', nonRetryable: true, attempts: 1 });

    // ~1,000,000 bytes of text, under the limit, whose 90 aliases would write out ~90 MB.
    const big = 'x'.repeat(1_000_000);
    const aliases = Array.from({ length: 90 }, (_, i) => `  k${i}: *big`).join('\n');
    await commitTemplate(hostile, `{% raw %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n  big: &big ${big}\n${aliases}\n{% endraw %}`);
    const wide = await failedRender(hostile, 'registry.example/hostile/web:wide');
    expect(wide).toMatchObject({ type: 'TemplateTooLarge', nonRetryable: true, attempts: 1 });
    expect(wide.error.reason).toMatch(/expands \(through YAML aliases\) to more than 1048576 bytes/);
  });

  it('the SDK refuses a values override nested 8,000 deep before it signals', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 8_000; i++) deep = { a: deep };
    const key = { project: `deep-${suffix}`, environment: 'dev' };
    await expect(deployer.deploy({ ...key, imageRef: 'registry.example/x:1', valuesOverride: deep as Record<string, unknown>, requestedBy: 'hostile-test' })).rejects.toThrow(
      /^valuesOverride\.a\.a.*: nested deeper than 32 levels$/,
    );
    const handle = real.client.workflow.getHandle(`deploy/${key.project}/dev`);
    await expect(handle.describe()).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
  });

  it('left no trace of the secret in the manifests table, the history, the cluster or Temporal', async () => {
    const { rows: manifests } = await pool().query<{ n: string }>('SELECT count(*) AS n FROM rendered_manifests WHERE yaml LIKE $1', [`%${SECRET}%`]);
    expect(Number(manifests[0]!.n)).toBe(0);
    const { rows: history } = await pool().query<{ n: string }>(
      "SELECT count(*) AS n FROM deployment_history WHERE coalesce(error, '') || coalesce(reason, '') LIKE $1",
      [`%${SECRET}%`],
    );
    expect(Number(history[0]!.n)).toBe(0);
    const { rows: failedRows } = await pool().query<{ n: string }>("SELECT count(*) AS n FROM deployment_history WHERE project = $1 AND status = 'failed'", [hostile.key.project]);
    expect(Number(failedRows[0]!.n)).toBeGreaterThanOrEqual(10);
    const configMaps = await core.listConfigMapForAllNamespaces();
    expect(JSON.stringify(configMaps.items.map((cm) => cm.data ?? {}))).not.toContain(SECRET);
    expect(configMaps.items.some((cm) => cm.metadata?.name === 'loot')).toBe(false);
    const temporalHistory = await real.client.workflow.getHandle(`deploy/${hostile.key.project}/dev`).fetchHistory();
    expect(JSON.stringify(temporalHistory)).not.toContain(SECRET);
  });
});
