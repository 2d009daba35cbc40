// A worker whose workflow code no longer replays an environment's history (a change without
// patched()) says so where people look: one JSON log line naming the workflow, a metric by reason,
// and a /readyz that fails, so a Kubernetes rollout of that version stops. The worker runs as its
// own process through the real entry point: the Temporal runtime (and so the logging it routes)
// is installed once per process, and this one runs the tests' quiet runtime.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { testEnv } from '../support/env.js';
import { WorkflowHarness, workflowBundle } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function parsedJson(line: string): Record<string, any> | undefined {
  try {
    return JSON.parse(line) as Record<string, any>;
  } catch {
    return undefined;
  }
}

/** The workflow code of the next version: an activity where the recorded history has the idle timer. */
async function bundleThatWedgesIdleEnvironments(): Promise<string> {
  const { code } = await workflowBundle();
  const idle = 'const woken = await (0,_temporalio_workflow__WEBPACK_IMPORTED_MODULE_0__.condition)(';
  expect(code).toContain(idle);
  return code.replace(
    idle,
    `await (0,_temporalio_workflow__WEBPACK_IMPORTED_MODULE_0__.proxyActivities)({ startToCloseTimeout: '10 seconds' }).recordCurrentState({ project, environment }); ${idle}`,
  );
}

describe('a worker whose workflow code wedges an environment', () => {
  let harness: WorkflowHarness;
  let dir: string;
  let worker: ChildProcess | undefined;
  let exited: Promise<unknown> | undefined;
  const stdout: string[] = [];
  let stderr = '';

  beforeAll(async () => {
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 600_000 } });
    await harness.startWorker();
    dir = await mkdtemp(join(tmpdir(), 'deployer-wedged-worker-'));
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGTERM');
      const killer = setTimeout(() => worker?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await harness?.handle('prod').terminate('test finished').catch(() => undefined);
    await harness?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs the failed task as JSON, counts it by reason and fails /readyz naming the workflow', async () => {
    await harness.deploy('prod', 'web:1');
    await harness.waitForState('prod', 'web:1 healthy and idle', (s) => s.current?.imageRef === 'web:1' && !s.inFlight && s.waitingFor.startsWith('idle'));
    await harness.stopWorker();
    const workflowId = harness.workflowId('prod');
    const { runId } = await harness.handle('prod').describe();

    const bundleFile = join(dir, 'workflow-bundle.js');
    await writeFile(bundleFile, await bundleThatWedgesIdleEnvironments());
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    worker = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts', bundleFile], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: testEnv.databaseUrl,
        DEPLOYER_TASK_QUEUE: harness.taskQueue,
        DEPLOYER_API_HOST: '127.0.0.1',
        DEPLOYER_WORKER_METRICS_PORT: String(port),
        DEPLOYER_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => worker!.once('exit', resolve));
    createInterface({ input: worker.stdout! }).on('line', (line) => stdout.push(line));
    worker.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    // Until it meets the wedged workflow, the new worker is ready.
    const before = await waitFor('the worker to answer /readyz', async () => {
      if (worker?.exitCode !== null) throw new Error(`the worker exited (${worker?.exitCode}): ${stderr}`);
      const response = await fetch(`${base}/readyz`);
      return { status: response.status, body: await response.json() };
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(before).toEqual({ status: 200, body: { ok: true } });

    // A request makes the new worker replay the history, and fail on it.
    await harness.deploy('prod', 'web:2');

    const logged = await waitFor('a JSON log line of the failed workflow task', () =>
      stdout.map(parsedJson).find((entry) => entry?.workflowId === workflowId && entry.reason === 'nondeterminism'),
    { timeoutMs: 30_000, intervalMs: 200 });
    expect(logged).toMatchObject({ level: 50, service: 'deployer-worker', workflowId, runId, reason: 'nondeterminism' });
    expect(logged.message).toMatch(/^\[TMPRL1100\] Nondeterminism error: /);

    const failures = await waitFor('the failure to be counted', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const count = Number(/^deployer_workflow_task_failures_total\{reason="nondeterminism"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      return count > 0 ? count : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    expect(failures).toBeGreaterThan(0);

    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { workflows: Array<{ error: string }> };
    expect(body).toMatchObject({ ok: false, wedged: 1, workflows: [{ workflowId, runId }] });
    expect(body.workflows[0]?.error).toMatch(/TMPRL1100/);

    // Core's own report of the failure no longer goes to stderr as plain text: every stdout line is JSON.
    expect(stderr).not.toContain('Failing workflow task');
    expect(stdout.filter((line) => parsedJson(line) === undefined)).toEqual([]);
  });
});
