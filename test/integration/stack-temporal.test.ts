import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as activities from './fixtures/greeting-activities.js';
import { greetingWorkflow } from './fixtures/greeting-workflow.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

describe('the Temporal dev server of the stack', () => {
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    installQuietRuntime();
    connection = await Connection.connect({ address: testEnv.temporalAddress });
    client = new Client({ connection, namespace: testEnv.temporalNamespace });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('runs a workflow and its activity through a real worker to completion', async () => {
    const taskQueue = `smoke-${uniqueSuffix()}`;
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: testEnv.temporalAddress }),
      namespace: testEnv.temporalNamespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/greeting-workflow.ts', import.meta.url)),
      activities,
    });
    const workflowId = `smoke-${uniqueSuffix()}`;
    const result = await worker.runUntil(
      client.workflow.execute(greetingWorkflow, { taskQueue, workflowId, args: ['stack'] }),
    );
    expect(result).toBe('hello stack from activity composeGreeting');
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
  });

  it('has the search attributes the deployment workflow uses registered as keywords', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: testEnv.temporalNamespace,
    });
    for (const name of ['DeployProject', 'DeployEnvironment', 'DeployImage', 'DeployStatus']) {
      expect(customAttributes?.[name], name).toBe(2 /* INDEXED_VALUE_TYPE_KEYWORD */);
    }
  });
});
