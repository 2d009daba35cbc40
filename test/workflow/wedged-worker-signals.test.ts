// A worker whose workflow code no longer replays an environment's history (a change without
// patched()) says so where people look: one JSON log line naming the workflow, a metric by reason,
// and a /readyz that fails, so a Kubernetes rollout of that version stops. The worker runs as its
// own process through the real entry point: the Temporal runtime (and so the logging it routes)
// is installed once per process, and this one runs the tests' quiet runtime.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { startWorkerChild, writeWorkflowBundle, type WorkerChild } from '../support/worker-child.js';
import { WorkflowHarness, workflowBundle } from './harness.js';

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
  let worker: WorkerChild | undefined;

  beforeAll(async () => {
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 600_000 } });
    await harness.startWorker();
    dir = await mkdtemp(join(tmpdir(), 'deployer-wedged-worker-'));
  });
  afterAll(async () => {
    await worker?.stop();
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

    const bundleFile = await writeWorkflowBundle(dir, await bundleThatWedgesIdleEnvironments());
    worker = await startWorkerChild({ bundleFile, taskQueue: harness.taskQueue });
    const base = worker.baseUrl;
    const { stdout } = worker;

    // Until it meets the wedged workflow, the new worker is ready.
    const before = await fetch(`${base}/readyz`);
    expect({ status: before.status, body: await before.json() }).toEqual({ status: 200, body: { ok: true } });

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
    expect(worker.stderr()).not.toContain('Failing workflow task');
    expect(stdout.filter((line) => parsedJson(line) === undefined)).toEqual([]);
  });
});
