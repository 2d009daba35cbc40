// With a worker on the app's task queue, a deploy sent through the API runs and the detail route
// shows the workflow's live `state` query.
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { workerTuning } from '../../src/worker-tuning.js';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { testEnv } from '../support/env.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { workflowBundle } from '../workflow/harness.js';
import { RecordingActivities } from '../workflow/recording-activities.js';
import { call, registerTestEnvironment, setUpApiTest, type ApiTest } from './support.js';

describe('the detail route with a running worker', () => {
  let test: ApiTest;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    test = await setUpApiTest('live');
    await registerTestEnvironment(test, test.project, 'prod');
    test.started.add(environmentWorkflowId(test.project, 'prod'));
    installQuietRuntime(); // before the first native connection creates the runtime
    nativeConnection = await NativeConnection.connect({ address: testEnv.temporalAddress });
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: testEnv.temporalNamespace,
      taskQueue: test.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: new RecordingActivities({ policy: { minIntervalMs: 0 } }).activities(),
      shutdownGraceTime: '1 second',
      ...workerTuning,
    });
    running = worker.run();
  });
  afterAll(async () => {
    // The worker stops before the workflows are terminated, so no task of theirs is in flight.
    worker?.shutdown();
    await running;
    await nativeConnection?.close();
    await test?.close();
  });

  it('answers with the state query of the workflow the API started', async () => {
    const deployed = await call(test.app, 'PATCH', `/api/projects/${test.project}/deployments/prod`, {
      token: test.tokens.promoter,
      json: { image_ref: 'web:42' },
    });
    expect(deployed.status).toBe(202);

    const workflow = await waitFor('the deployment of web:42 to be healthy in the state query', async () => {
      const detail = await call(test.app, 'GET', `/api/projects/${test.project}/deployments/prod`, { token: test.tokens.reader });
      const live = detail.body.workflow;
      return live?.state?.status === 'healthy' ? live : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });

    expect(workflow).toMatchObject({ status: 'RUNNING', state_error: null });
    expect(workflow.state).toMatchObject({
      project: test.project,
      environment: 'prod',
      current: { imageRef: 'web:42', requestId: deployed.body.request_id },
    });
  });
});
