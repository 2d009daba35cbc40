// A workflow code change without patched() wedges the environments that replay it. The CLI's
// status and the API's detail route must say so in plain words, not "Failed to query Workflow".
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLiveWorkflow } from '../../src/api/live-workflow.js';
import { runCli } from '../../src/cli.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { workerTuning } from '../../src/worker-tuning.js';
import { testEnv } from '../support/env.js';
import { WorkflowHarness, workflowBundle } from './harness.js';

describe('a workflow wedged by a code change', () => {
  let harness: WorkflowHarness;
  let changed: Worker | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 600_000 } });
    await harness.startWorker();
  });
  afterAll(async () => {
    changed?.shutdown();
    await running;
    await harness?.handle('prod').terminate('test finished').catch(() => undefined);
    await harness?.close();
  });

  it('is named as such by deployer status and the API', async () => {
    await harness.deploy('prod', 'web:1');
    await harness.waitForState('prod', 'web:1 healthy and idle', (s) => s.current?.imageRef === 'web:1' && !s.inFlight && s.waitingFor.startsWith('idle'));
    await harness.stopWorker();

    // The "new version" of the workflow schedules an activity where the recorded history has the
    // idle timer: exactly the change that needs patched().
    const { code } = await workflowBundle();
    const idle = 'const woken = await (0,_temporalio_workflow__WEBPACK_IMPORTED_MODULE_0__.condition)(';
    expect(code).toContain(idle);
    const changedCode = code.replace(
      idle,
      `await (0,_temporalio_workflow__WEBPACK_IMPORTED_MODULE_0__.proxyActivities)({ startToCloseTimeout: '10 seconds' }).recordCurrentState({ project, environment }); ${idle}`,
    );
    changed = await Worker.create({
      connection: harness['nativeConnection'],
      namespace: testEnv.temporalNamespace,
      taskQueue: harness.taskQueue,
      workflowBundle: { code: changedCode },
      activities: harness.recorder.activities(),
      ...workerTuning,
    });
    running = changed.run();
    // A request makes the new worker replay the history, and fail on it.
    await harness.deploy('prod', 'web:2');

    const out: string[] = [];
    const err: string[] = [];
    const env = { TEMPORAL_ADDRESS: testEnv.temporalAddress, DEPLOYER_TASK_QUEUE: harness.taskQueue, DEPLOYER_USER: 'wedge-test', DEPLOYER_DIRECT: '1' };
    const status = await waitFor('deployer status to report the wedge', async () => {
      err.length = 0;
      const code = await runCli(['status', '--project', harness.project, '--env', 'prod'], { out: (l) => out.push(l), err: (l) => err.push(l), env });
      return code === 1 && err[0]?.includes('wedged') ? err[0] : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(status).toMatch(new RegExp(`^${harness.project}/prod: environment wedged by a code change: .*TMPRL1100.* \\(workflow task attempt \\d+\\); roll the worker back or add patched\\(\\)$`));

    const live = await readLiveWorkflow(harness.client, harness.workflowId('prod'), 2_000);
    expect(live).toMatchObject({ status: 'RUNNING', state: null });
    expect(live?.state_error).toMatch(/^environment wedged by a code change: .*TMPRL1100/);
  });
});
