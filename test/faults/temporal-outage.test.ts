// A pipeline rides out a Temporal restart: the stack's dev server is stopped while a deploy is in
// flight and a pipeline waits on it, and while another pipeline sends a request; both carry on
// when it is back (same database, so the workflow is where it was).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningPid } from '../../scripts/stack/processes.js';
import { downTemporal, startTemporalDevServer } from '../../scripts/stack/temporal.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { DeployerClient } from '../../src/client/deployer-client.js';
import { WorkflowHarness } from '../workflow/harness.js';

describe('a Temporal outage during a deploy', () => {
  let harness: WorkflowHarness;
  let deployer: DeployerClient;

  beforeAll(async () => {
    // This suite restarts the stack's own dev server; a Temporal the user runs is not ours to stop.
    if (runningPid('temporal', 'temporal') === undefined) {
      throw new Error('the Temporal outage test needs the stack\'s own dev server (npm test starts it)');
    }
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 600_000 } });
    await harness.startWorker();
    deployer = new DeployerClient({ client: harness.client, taskQueue: harness.taskQueue, signalRetryMs: 60_000 });
  });
  afterAll(async () => {
    // Whatever happened, leave Temporal up for the test files after this one.
    if (runningPid('temporal', 'temporal') === undefined) await startTemporalDevServer();
    await harness?.close();
  });

  it('neither fails a healthy deploy nor loses a request sent while the server is down', async () => {
    harness.recorder.holdRollouts = true;
    const first = await harness.deploy('prod', 'web:1');
    await waitFor('the rollout to be held', () => harness.recorder.rolloutsWaiting === 1);
    const waiting = deployer.waitForRelease({ project: harness.project, environment: 'prod' }, first, { timeoutMs: 90_000, pollIntervalMs: 100 });

    const stoppedAt = Date.now();
    expect(await downTemporal()).toBe(true);
    // A request sent during the outage is resent with the same id until the server answers.
    const sending = deployer.deploy({ project: harness.project, environment: 'prod', imageRef: 'web:2', requestedBy: 'pipeline', requestId: `during-outage-${harness.project}` });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await startTemporalDevServer();
    const downMs = Date.now() - stoppedAt;
    harness.recorder.releaseRollouts();

    const release = await waiting;
    expect(release).toMatchObject({ imageRef: 'web:1', status: 'healthy' });
    const accepted = await sending;
    expect(accepted.requestId).toBe(`during-outage-${harness.project}`);
    const second = await deployer.waitForRelease({ project: harness.project, environment: 'prod' }, accepted.requestId, { timeoutMs: 60_000 });
    expect(second).toMatchObject({ imageRef: 'web:2', status: 'healthy' });
    // Exactly one release per request: the resent signal did not deploy twice.
    const state = await deployer.state({ project: harness.project, environment: 'prod' });
    expect(state?.releases.map((r) => r.imageRef)).toEqual(['web:2', 'web:1']);
    console.info(`Temporal was down ${downMs} ms; the waiting pipeline and the resent request both carried on`);
  });
});
