// Continue-as-new under load, on a dev server of its own whose continue-as-new suggestion comes
// after 40 history events instead of 4096, so one test crosses many run boundaries.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { obtainTemporalCli } from '../../scripts/stack/temporal.js';
import { DeployEnvironment, DeployImage, DeployProject, DeployStatus } from '../../workflows/search-attributes.js';
import { environmentWorkflow } from '../../workflows/environment.js';
import { WorkflowHarness } from './harness.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

describe('continue-as-new', () => {
  let server: TestWorkflowEnvironment;
  let harness: WorkflowHarness;

  beforeAll(async () => {
    installQuietRuntime();
    const { binary } = await obtainTemporalCli();
    server = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: binary },
        searchAttributes: [DeployProject, DeployEnvironment, DeployImage, DeployStatus],
        extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40', '--log-level', 'error'],
      },
    });
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 60_000 } }, server.address);
    await harness.startWorker();
  });
  afterAll(async () => {
    await harness?.close();
    await server?.teardown();
  });

  it('loses no request across run boundaries and ends on the last one', async () => {
    const sent: string[] = [];
    for (let i = 1; i <= 40; i++) {
      sent.push(await harness.deploy('prod', `web:${i}`));
      // Spread the stream over the deployments so signals land before, during and after each hand-over.
      if (i % 4 === 0) await harness.waitForState('prod', `request ${i} to be taken`, (s) => s.pending?.requestId !== sent.at(-1));
    }
    const final = await harness.waitForState('prod', 'web:40 to be healthy', (s) => s.current?.imageRef === 'web:40' && !s.inFlight && !s.pending);

    expect(final.run).toBeGreaterThan(1);
    const runs: string[] = [];
    for await (const execution of harness.client.workflow.list({ query: `WorkflowId = "${harness.workflowId('prod')}"` })) runs.push(execution.runId);
    // The workflow may already have handed over once more since the query.
    expect(runs.length).toBeGreaterThanOrEqual(final.run);

    const executed = new Set([...harness.recorder.history.values()].filter((r) => r.action === 'deploy').map((r) => r.requestId));
    const superseded = new Set(final.requests.filter((r) => r.outcome === 'superseded').map((r) => r.requestId));
    const missing = sent.filter((id) => !executed.has(id) && !superseded.has(id));
    expect(missing).toEqual([]);
    expect(executed.has(sent.at(-1)!)).toBe(true);
    // Deployments ran in the order the requests were sent.
    const executedImages = harness.recorder.callsOf('renderManifests').map((c) => Number(String(c.input.imageRef).split(':')[1]));
    expect(executedImages).toEqual([...executedImages].sort((a, b) => a - b));
    console.info(`continue-as-new: ${sent.length} requests, ${executed.size} deployed, ${superseded.size} superseded, ${final.run} runs`);
  });

  // A client that encrypts payloads starts it with indexImage: false.
  it('keeps the image out of its search attributes when started by a client that encrypts payloads, across run boundaries', async () => {
    await harness.client.workflow.start(environmentWorkflow, {
      workflowId: harness.workflowId('sealed'),
      taskQueue: harness.taskQueue,
      args: [{ project: harness.project, environment: 'sealed', policy: harness.recorder.policy, indexImage: false }],
    });
    for (let i = 1; i <= 8; i++) {
      await harness.deploy('sealed', `web:${i}`);
      await harness.waitForState('sealed', `web:${i} to be healthy`, (s) => s.current?.imageRef === `web:${i}` && !s.inFlight);
    }
    const final = await harness.state('sealed');
    expect(final.run).toBeGreaterThan(1);
    const attributes = (await harness.handle('sealed').describe()).typedSearchAttributes;
    expect(attributes.get(DeployProject)).toBe(harness.project);
    expect(attributes.get(DeployStatus)).toBe('healthy');
    expect(attributes.get(DeployImage)).toBe('');
  });
});
