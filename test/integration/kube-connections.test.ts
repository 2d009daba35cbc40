// Requests to the API server share connections across clients: every activity makes its own
// KubeClient, and a fleet's deploy makes thousands, each of which used to open (and TLS-handshake)
// a connection of its own, as did every watch. Counted on the client side, from undici's
// diagnostics channel, against the stack's real API server.
import * as k8s from '@kubernetes/client-node';
import { channel } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/k8s/client.js';
import { testEnv } from '../support/env.js';

describe('connections to the API server', () => {
  const connected = channel('undici:client:connected');
  let opened = 0;
  const count = () => {
    opened += 1;
  };
  let kubeConfig: k8s.KubeConfig;

  beforeAll(() => {
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(testEnv.kubeconfig);
    connected.subscribe(count);
  });
  afterAll(() => connected.unsubscribe(count));

  it('are shared by every client of one kubeconfig identity, reads and watches alike', async () => {
    const path = '/api/v1/namespaces/default';
    // Warm: the process may not have a connection to this server yet.
    await new KubeClient(kubeConfig).get(path);
    opened = 0;

    // Ten clients one after another, as the activities of a fleet's deploys: one connection.
    for (let i = 0; i < 10; i++) await new KubeClient(kubeConfig).get(path);
    expect(opened).toBeLessThanOrEqual(1);

    // A watch that ends at its timeout, as a rollout's wait does between reads, closes its own
    // connection; the reads around it still share.
    opened = 0;
    for (let i = 0; i < 5; i++) {
      const client = new KubeClient(kubeConfig);
      const namespace = await client.get<{ metadata: { resourceVersion: string } }>(path);
      await client.get(path);
      await client.changedSince('/api/v1/namespaces', { fieldSelector: 'metadata.name=default' }, namespace.metadata.resourceVersion, 200);
    }
    // Ten reads and five watches: a connection per watch at most, not one per client and per watch.
    expect(opened).toBeLessThanOrEqual(6);
  });
});
