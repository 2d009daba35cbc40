// Closing the API server while answers are held open (wait_s): each is given as it stands, no
// handler is left talking to Temporal once `close()` resolves, and so the process can close its
// Temporal connection next. A call still queued when the connection closes is retried by the SDK
// on the shut channel, and that retry throws outside any handler.
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/listen.js';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { testEnv } from '../support/env.js';
import { call, registerTestEnvironment, setUpApiTest, type ApiTest } from './support.js';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** Longer than one look of the follow loop (a describe, a state query bounded to 1 s, a 500 ms pause). */
const MORE_THAN_ONE_LOOK_MS = 2_000;

describe('closing the API server', () => {
  let test: ApiTest;

  beforeAll(async () => {
    test = await setUpApiTest('server-close');
    // No worker polls the test's queue: a request sent there never reaches a final outcome.
    await registerTestEnvironment(test, test.project, 'prod');
    test.started.add(environmentWorkflowId(test.project, 'prod'));
  });
  afterAll(async () => {
    await test?.close();
  });

  /** An API on a connection of its own, counting the calls it starts; and a request to follow. */
  async function serve() {
    let calls = 0;
    const counting: Interceptor = (options, nextCall) => {
      calls += 1;
      return nextCall(options) as ReturnType<Interceptor>;
    };
    const connection = await Connection.connect({ address: testEnv.temporalAddress, interceptors: [counting] });
    const app = test.appWith({ temporalClient: new Client({ connection, namespace: testEnv.temporalNamespace }) });
    const server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
    const deploy = await call(app, 'PATCH', `/api/projects/${test.project}/deployments/prod`, { token: test.tokens.promoter, json: { image_ref: 'web:9' } });
    expect(deploy.status, JSON.stringify(deploy.body)).toBe(202);
    const follow = `http://127.0.0.1:${server.port}/api/projects/${test.project}/deployments/prod/requests/${deploy.body.request_id}?wait_s=60`;
    return { server, connection, follow, calls: () => calls };
  }

  /** Waits until the held request has made `n` more Temporal calls: it is in its follow loop. */
  async function pollingSince(calls: () => number, n: number): Promise<void> {
    const from = calls();
    await expect.poll(calls, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(from + n);
  }

  it('gives a held answer as it stands, and resolves once no handler is left calling Temporal', async () => {
    const { server, connection, follow, calls } = await serve();
    const started = Date.now();
    const answer = fetch(follow, { headers: { authorization: `Bearer ${test.tokens.reader}` } });
    await pollingSince(calls, 2);
    await server.close();
    const closedAt = calls();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ final: false, outcome: 'unknown', workflow_status: 'RUNNING' });
    // Answered because the server closed, not because the 60 s it was asked to wait had passed.
    expect(Date.now() - started).toBeLessThan(30_000);
    // Nothing is left to start a call (the absence of one can only be watched for a while).
    await new Promise((resolve) => setTimeout(resolve, MORE_THAN_ONE_LOOK_MS));
    expect(calls()).toBe(closedAt);
    await connection.close();
  });

  it('stops following for a caller that went away', async () => {
    const { server, connection, follow, calls } = await serve();
    const caller = new AbortController();
    const answer = fetch(follow, { headers: { authorization: `Bearer ${test.tokens.reader}` }, signal: caller.signal }).catch((error: Error) => error);
    await pollingSince(calls, 2);
    caller.abort();
    expect(await answer).toBeInstanceOf(Error);
    await server.close();
    const closedAt = calls();
    await new Promise((resolve) => setTimeout(resolve, MORE_THAN_ONE_LOOK_MS));
    expect(calls()).toBe(closedAt);
    await connection.close();
  });
});
