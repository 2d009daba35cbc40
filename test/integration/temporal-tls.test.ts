// Temporal behind TLS that demands a client certificate, as a secured cluster is: the worker
// process, the SDK and the CLI reach it with the TEMPORAL_TLS_* settings and do real work through
// it; without the certificate each says so and which variables to set, and the worker exits.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { runCli } from '../../src/cli.js';
import { DeployerClient, ReleaseFailedError } from '../../src/client/deployer-client.js';
import { loadTemporalConfig } from '../../src/config.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { makeTestCertificates, startTlsTerminator, type TestCertificates, type TlsTerminator } from '../support/tls-terminator.js';
import { startWorkerChild, writeWorkflowBundle, type WorkerChild } from '../support/worker-child.js';

describe('Temporal behind TLS with client certificates', () => {
  let certs: TestCertificates;
  let terminator: TlsTerminator;
  let bundleFile: string;
  const taskQueue = `tls-${uniqueSuffix()}`;
  const workers: WorkerChild[] = [];
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    certs = makeTestCertificates();
    terminator = await startTlsTerminator(testEnv.temporalAddress, certs, { requireClientCert: true });
    bundleFile = await writeWorkflowBundle(await mkdtemp(join(tmpdir(), 'deployer-tls-bundle-')));
    tlsEnv = {
      TEMPORAL_ADDRESS: terminator.address,
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: certs.clientKey,
      DEPLOYER_TASK_QUEUE: taskQueue,
      // the command line's break-glass path straight to Temporal, which is what goes through TLS here
      DEPLOYER_DIRECT: '1',
    };
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await terminator?.close();
  });

  it('runs the worker, the SDK and the CLI through it with the client certificate', async () => {
    const worker = await startWorkerChild({ bundleFile, taskQueue, env: tlsEnv });
    workers.push(worker);
    const client = await DeployerClient.connect(loadTemporalConfig(tlsEnv));
    try {
      // The worker (over TLS) runs the workflow and its first step, which finds no such environment.
      const project = `tls-${uniqueSuffix()}`;
      const { requestId } = await client.deploy({ project, environment: 'prod', imageRef: 'registry.example/web:1', requestedBy: 'tls-test' });
      const failure = await client.waitForRelease({ project, environment: 'prod' }, requestId, { timeoutMs: 60_000 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ReleaseFailedError);
      expect((failure as ReleaseFailedError).reason).toContain(`${project}/prod is not registered`);
      // Nothing is left running for an environment that does not exist.
      await waitFor('the run to end', async () => (await client.workflowStatus({ project, environment: 'prod' }))?.status === 'COMPLETED', { timeoutMs: 30_000 });

      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['history', '--project', project, '--env', 'prod'], { out: (l) => out.push(l), err: (l) => err.push(l), env: tlsEnv });
      expect({ code, err }).toEqual({ code: 0, err: [] });
      expect(out.join('\n')).toContain('registry.example/web:1');
    } finally {
      await client.close();
    }
    expect(worker.alive()).toBe(true);
    expect(terminator.accepted()).toBeGreaterThanOrEqual(3);
  });

  it('without the client certificate: the worker exits saying which variables to set, the SDK and the CLI refuse clearly', async () => {
    const withoutCert = { ...tlsEnv, TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' };
    const worker = await startWorkerChild({ bundleFile, taskQueue, env: withoutCert, waitUntilServing: false });
    workers.push(worker);
    expect(await worker.exited).toBe(69);
    // The server may name the missing certificate (CertificateRequired) or just close the connection.
    expect(worker.stderr()).toMatch(/^deployer: cannot connect to Temporal at 127\.0\.0\.1:\d+ over TLS without a client certificate: .*set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/m);
    expect(worker.stderr()).not.toMatch(/^\s+at /m); // one clear line, no stack trace

    const sdk = await DeployerClient.connect({ ...loadTemporalConfig(withoutCert), connectTimeout: 2_000 }).catch((error: Error) => error);
    expect(sdk).toMatchObject({ name: 'TemporalConnectError', message: expect.stringContaining('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY') });

    const err: string[] = [];
    const code = await runCli(['status', '--project', 'any', '--env', 'prod'], { out: () => undefined, err: (l) => err.push(l), env: withoutCert });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/cannot connect to Temporal at .* over TLS without a client certificate/);

    // Plaintext to a TLS port is refused too, and the message says how to turn TLS on.
    const plain = await DeployerClient.connect({ address: terminator.address, connectTimeout: 2_000 }).catch((error: Error) => error);
    expect(plain).toMatchObject({ name: 'TemporalConnectError', message: expect.stringContaining('set TEMPORAL_TLS=true') });
  });
});
