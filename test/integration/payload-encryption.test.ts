// With DEPLOYER_PAYLOAD_KEYS, what reaches Temporal is sealed: the raw history (fetched by a client
// without the keys) holds no image ref and no value of a deploy, not in a signal, an activity's
// input or result, a failure, the UI's details or a search attribute. The deployer's own clients
// read everything as before, and the API's codec endpoint decodes for a token allowed to read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createApiToken } from '../../src/auth/tokens.js';
import { ReleaseFailedError } from '../../src/client/deployer-client.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { DeployImage } from '../../workflows/search-attributes.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment, type SampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { freshKeyring } from '../support/test-keyring.js';

/** Every string and byte string in the history, so a plaintext needle is found wherever it sits (payload data is bytes). */
function rawBytes(history: temporal.api.history.v1.IHistory): Buffer {
  const parts: Buffer[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value));
    else if (typeof value === 'string') parts.push(Buffer.from(value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return Buffer.concat(parts);
}

describe('payload encryption', () => {
  const suffix = uniqueSuffix();
  const pool = () => getPool(testEnv.databaseUrl);
  const keys = freshKeyring();
  const imageRef = `registry.example/sealed-${suffix}:v1`;
  const greeting = `greeting-${suffix}`;
  const badReplicas = `replicas-${suffix}`;
  let env: SampleEnvironment;
  let plainEnv: SampleEnvironment;
  let real: RealWorker;
  let plainReal: RealWorker;
  let bare: Client;
  let repoCacheDir: string;

  beforeAll(async () => {
    installQuietRuntime();
    await migrate(pool());
    repoCacheDir = await mkdtemp(join(tmpdir(), 'deployer-sealed-cache-'));
    env = await registerSampleEnvironment(pool(), `sealed-${suffix}`, 'dev', { minIntervalMs: 1, healthTimeoutMs: 60_000, autoRollback: false });
    plainEnv = await registerSampleEnvironment(pool(), `plain-${suffix}`, 'dev', { minIntervalMs: 1, healthTimeoutMs: 60_000 });
    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    real = await startRealWorker({ taskQueue: `sealed-${suffix}`, pool: pool(), kubeConfig, repoCacheDir, payloadKeys: keys });
    plainReal = await startRealWorker({ taskQueue: `plain-${suffix}`, pool: pool(), kubeConfig, repoCacheDir });
    bare = new Client({ connection: await Connection.connect({ address: testEnv.temporalAddress }), namespace: testEnv.temporalNamespace });
  });

  afterAll(async () => {
    await real?.close([`deploy/${env.key.project}/dev`]);
    await plainReal?.close([`deploy/${plainEnv.key.project}/dev`]);
    await bare?.connection.close();
    for (const dir of [env?.dir, plainEnv?.dir, repoCacheDir]) if (dir) await rm(dir, { recursive: true, force: true });
    await closePools();
  });

  it('keeps image refs, values and failure messages out of the raw history, while the deployer reads them', async () => {
    const { requestId } = await real.deployer.deploy({ ...env.key, imageRef, valuesOverride: { greeting }, requestedBy: 'sealed-test' });
    const release = await real.deployer.waitForRelease(env.key, requestId, { timeoutMs: 90_000 });
    expect(release).toMatchObject({ status: 'healthy', imageRef });
    // A release that fails in an activity: its error travels as an encoded failure.
    const failing = await real.deployer.deploy({ ...env.key, imageRef, valuesOverride: { replicas: badReplicas }, requestedBy: 'sealed-test' });
    const failure = await real.deployer.waitForRelease(env.key, failing.requestId, { timeoutMs: 90_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReleaseFailedError);
    expect((await real.deployer.state(env.key))?.desired?.imageRef).toBe(imageRef);

    const workflowId = `deploy/${env.key.project}/dev`;
    const history = await bare.workflow.getHandle(workflowId).fetchHistory();
    const raw = rawBytes(history);
    const failed = history.events!.map((e) => e.activityTaskFailedEventAttributes?.failure).filter((f) => f);
    expect(failed.map((f) => f!.message)).toEqual(['Encoded failure']);
    expect(raw.includes('values.schema.json')).toBe(false);
    expect(raw.length).toBeGreaterThan(1000);
    for (const secret of [imageRef, greeting, badReplicas]) expect(raw.includes(secret), secret).toBe(false);
    expect(raw.includes('binary/encrypted')).toBe(true);
    const { typedSearchAttributes } = await bare.workflow.getHandle(workflowId).describe();
    expect(typedSearchAttributes.get(DeployImage) ?? '').toBe('');
    // Without the keys the state cannot be read.
    await expect(bare.workflow.getHandle(workflowId).query('state')).rejects.toThrow();

    // The same check finds the image in a workflow of a worker without keys: it can fail.
    const plain = await plainReal.deployer.deploy({ ...plainEnv.key, imageRef, requestedBy: 'sealed-test' });
    await plainReal.deployer.waitForRelease(plainEnv.key, plain.requestId, { timeoutMs: 90_000 });
    const plainRaw = rawBytes(await bare.workflow.getHandle(`deploy/${plainEnv.key.project}/dev`).fetchHistory());
    expect(plainRaw.includes(imageRef)).toBe(true);
  });

  it('decodes through the codec endpoint for a global reading token only, and lets the UI origin call it', async () => {
    const history = await bare.workflow.getHandle(`deploy/${env.key.project}/dev`).fetchHistory();
    // The first deploy, as the workflow took it (an update-with-start).
    const accepted = history.events!.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'deploy')!;
    const payload = accepted.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads![0]!;
    const body = JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(payload.data!).toString('base64'),
        },
      ],
    });
    const app = createApp({ pool: pool(), temporalClient: real.client });
    const token = async (name: string, scopes: Parameters<typeof createApiToken>[1]['scopes'], project?: string) =>
      (await createApiToken(pool(), { name: `sealed-${suffix}-${name}`, scopes, project })).token;
    const post = (path: string, auth?: string, text = body) =>
      app.request(path, { method: 'POST', body: text, headers: { 'Content-Type': 'application/json', Origin: 'http://localhost:8233', ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } });

    const reader = await token('reader', ['deploy:read']);
    const decoded = await post('/codec/decode', reader);
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const [plain] = ((await decoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(Buffer.from(plain!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(plain!.data, 'base64').toString())).toMatchObject({ imageRef, valuesOverride: { greeting } });

    expect((await post('/codec/decode')).status).toBe(401);
    expect((await post('/codec/decode', await token('bound', ['admin'], env.key.project))).status).toBe(403);
    expect((await post('/codec/encode', reader, JSON.stringify({ payloads: [plain] }))).status).toBe(403);
    const promoter = await token('promoter', ['deploy:promote']);
    const reencoded = await post('/codec/encode', promoter, JSON.stringify({ payloads: [plain] }));
    expect(reencoded.status).toBe(200);
    const text = await reencoded.text();
    expect(text).not.toContain(plain!.data);
    const again = await post('/codec/decode', reader, text);
    expect(((await again.json()) as { payloads: Array<{ data: string }> }).payloads[0]!.data).toBe(plain!.data);

    const tampered = JSON.parse(body) as { payloads: Array<{ data: string }> };
    const bytes = Buffer.from(tampered.payloads[0]!.data, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    tampered.payloads[0]!.data = bytes.toString('base64');
    const refused = await post('/codec/decode', reader, JSON.stringify(tampered));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/payload 1 of 1: sealed data does not verify/);

    // Hostile bodies: each refused, naming what is wrong, before any codec runs.
    const tooMany = await post('/codec/decode', reader, JSON.stringify({ payloads: Array.from({ length: 10_001 }, () => ({ data: '' })) }));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain('payloads');
    const notBase64 = await post('/codec/decode', reader, JSON.stringify({ payloads: [{ metadata: { encoding: '$(id)' }, data: 'x' }] }));
    expect(notBase64.status).toBe(400);
    expect(await notBase64.text()).toContain('metadata');
    const huge = await post('/codec/decode', reader, JSON.stringify({ payloads: [{ data: 'A'.repeat(9 * 1024 * 1024) }] }));
    expect(huge.status).toBe(413);
    const garbage = await post('/codec/decode', reader, JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: Buffer.from([1, 200, 3]).toString('base64') }] }));
    expect(garbage.status).toBe(400);
    expect(await garbage.text()).toMatch(/payload 1 of 1/);

    const preflight = await app.request('/codec/decode', {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const foreign = await app.request('/codec/decode', { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    // An API without keys has no codec to offer.
    const keyless = createApp({ pool: pool(), temporalClient: bare });
    const none = await keyless.request('/codec/decode', { method: 'POST', body, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${reader}` } });
    expect(none.status).toBe(404);
    expect(await none.text()).toContain('DEPLOYER_PAYLOAD_KEYS');
  });
});
