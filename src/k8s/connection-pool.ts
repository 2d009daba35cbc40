// Authenticates a request to the API server and gives it the process's one connection pool for
// that server and client identity. The client library makes a new pool for every request it
// authenticates, so each activity's first request and every watch opened a connection of its own,
// with a full TLS handshake on both ends: thousands of them when a fleet deploys, the API server's
// largest cost in a cold start, and a few milliseconds on every step of one deploy.
import * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type * as https from 'node:https';
import { Agent, type Dispatcher } from 'undici';

/** Pools kept; one per API server and identity in use, so a handful at most in practice. */
const MAX_POOLS = 16;
const pools = new Map<string, Dispatcher>();

/** Sets the request's credentials (refreshed as the kubeconfig's auth provider sees fit) and its connection pool. */
export async function authenticate(kubeConfig: k8s.KubeConfig, context: k8s.RequestContext): Promise<void> {
  const cluster = kubeConfig.getCurrentCluster();
  const options: https.RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const dispatcherOptions = kubeConfig.createDispatcherOptions(cluster, {
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    pfx: options.pfx,
    passphrase: options.passphrase,
    rejectUnauthorized: options.rejectUnauthorized,
    servername: options.servername,
  });
  // Through a proxy the library's own way, pool per request and all.
  if (dispatcherOptions.type === 'proxy' || dispatcherOptions.type === 'socks') return kubeConfig.applySecurityAuthentication(context);
  for (const [name, value] of Object.entries(options.headers ?? {})) context.setHeaderParam(name, String(value));
  if (options.auth) context.setHeaderParam('Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`);
  if (dispatcherOptions.type === 'agent') context.setDispatcher(poolFor(cluster?.server ?? '', dispatcherOptions.connect));
}

/** The pool for these TLS options (CA, client certificate, verification): made once, then shared. */
function poolFor(server: string, connect: Agent.Options['connect']): Dispatcher {
  // Keyed by the options themselves: a client certificate an exec plugin renews gets a new pool.
  const key = createHash('sha256').update(server).update('\n').update(JSON.stringify(connect)).digest('hex');
  let pool = pools.get(key);
  if (!pool) {
    pool = new Agent({ connect });
    pools.set(key, pool);
    if (pools.size > MAX_POOLS) {
      const [oldest, retired] = pools.entries().next().value as [string, Dispatcher];
      pools.delete(oldest);
      void retired.close().catch(() => undefined); // lets its requests in flight finish
    }
  }
  return pool;
}
