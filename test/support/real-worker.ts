// A real worker (the real activities on the stack's Postgres and Kubernetes) on its own task
// queue, with an SDK client for it: what integration tests deploy through.
import type * as k8s from '@kubernetes/client-node';
import { Connection, type Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type pg from 'pg';
import { DeployerClient } from '../../src/client/deployer-client.js';
import { temporalClient } from '../../src/client/data-converter.js';
import type { Keyring } from '../../src/crypto/keyring.js';
import { createDeployerWorker, type DeployerWorker } from '../../worker/create-worker.js';
import { workflowBundle } from '../workflow/harness.js';
import { testEnv } from './env.js';

export interface RealWorker {
  deployer: DeployerClient;
  client: Client;
  /** terminates the given workflows, then stops the worker and closes both connections */
  close(workflowIds?: string[]): Promise<void>;
}

export async function startRealWorker(options: {
  taskQueue: string;
  pool: pg.Pool;
  kubeConfig: k8s.KubeConfig;
  repoCacheDir: string;
  /** encrypt payloads: the worker then bundles the workflows itself, with the encrypting failure converter, as in production */
  payloadKeys?: Keyring;
  /**
   * keys for the activities alone (environments' secrets, git credentials), with payloads in the
   * clear: for tests that read the Temporal history as it is stored. Production uses one set for both.
   */
  secretKeys?: Keyring;
}): Promise<RealWorker> {
  let worker: DeployerWorker;
  let workerConnection: NativeConnection;
  let workerClient: Client;
  ({ worker, connection: workerConnection, client: workerClient } = await createDeployerWorker({
    temporal: { address: testEnv.temporalAddress, payloadKeys: options.payloadKeys },
    namespace: testEnv.temporalNamespace,
    taskQueue: options.taskQueue,
    ...(options.payloadKeys ? {} : { workflowBundle: await workflowBundle() }),
    deps: { pool: options.pool, kubeConfig: options.kubeConfig, repoCacheDir: options.repoCacheDir, allowFileUrls: true, payloadKeys: options.payloadKeys ?? options.secretKeys },
  }));
  const running = worker.run();
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = temporalClient(connection, { namespace: testEnv.temporalNamespace, payloadKeys: options.payloadKeys });
  const deployer = new DeployerClient({ client, taskQueue: options.taskQueue });
  return {
    deployer,
    client,
    async close(workflowIds = []) {
      for (const id of workflowIds) await client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
      worker.shutdown();
      await running;
      await workerConnection.close();
      await workerClient.connection.close();
      await connection.close();
    },
  };
}
