// A thin JSON client for the Kubernetes API that works for any kind, built on the kubeconfig
// authentication and transport of @kubernetes/client-node.
//
// Why not KubernetesObjectApi: it serialises built-in kinds through the generated models, which
// silently drop every field the models do not know (a newer API field, a typo the server should
// reject) and turn timestamps into Dates. A deployer must send exactly what was rendered and
// compare exactly what the server returns, so bodies stay plain JSON here.
import * as k8s from '@kubernetes/client-node';
import { fetch as undiciFetch } from 'undici';
import { DependencyUnreachable } from '../domain/errors.js';
import { authenticate } from './connection-pool.js';
import type { Impersonation } from '../domain/tenancy.js';

/** The `Status` object the API server returns with an error. */
export interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
  };
}

/** An HTTP error answer of the API server; `status` is its Status body when it sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly method: string,
    readonly path: string,
    readonly status: KubeStatus | undefined,
    body: string,
  ) {
    super(`${method} ${path}: HTTP ${code}${status?.reason ? ` ${status.reason}` : ''}: ${status?.message ?? body.slice(0, 500)}`);
    this.name = 'KubeApiError';
  }
}

/**
 * The API server did not answer, or answered that it cannot serve now (5xx, 429 Too Many
 * Requests): an outage to wait out, not a wrong request.
 */
export function isKubernetesUnreachable(error: unknown): boolean {
  if (error instanceof DependencyUnreachable) return error.dependency === 'Kubernetes';
  return error instanceof KubeApiError && (error.code >= 500 || error.code === 429);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 404;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
}

export type PatchType = 'apply' | 'merge' | 'json';

const patchContentTypes: Record<PatchType, string> = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

/** Where a resource lives in the REST API; `resource` is the plural name discovery reports. */
export interface ResourcePath {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function resourceUrlPath({ group, version, resource, namespace, name, subresource }: ResourcePath): string {
  const parts = [group ? `/apis/${group}/${version}` : `/api/${version}`];
  if (namespace) parts.push('namespaces', encodeURIComponent(namespace));
  parts.push(resource);
  if (name) parts.push(encodeURIComponent(name));
  if (subresource) parts.push(subresource);
  return parts.join('/');
}

export class KubeClient {
  private readonly http = new k8s.IsomorphicFetchHttpLibrary();
  private readonly server: string;

  /**
   * `signal` aborts every request in flight, e.g. when the activity is cancelled. A request that
   * gets no answer within `requestTimeoutMs` fails (retryably) instead of hanging the activity.
   */
  constructor(
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly signal?: AbortSignal,
    private readonly requestTimeoutMs = 30_000,
    /** act as this identity (Kubernetes impersonation), so its RBAC decides what is allowed */
    private readonly impersonate?: Impersonation,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async request<T>(method: k8s.HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const context = new k8s.RequestContext(url.toString(), method);
    context.setHeaderParam('Accept', 'application/json');
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      context.setBody(JSON.stringify(options.body));
    }
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    context.setSignal(this.signal ? AbortSignal.any([this.signal, timeout]) : timeout);
    await authenticate(this.kubeConfig, context);
    if (this.impersonate) context.setHeaderParam('Impersonate-User', this.impersonate.user);

    let code: number;
    let text: string;
    try {
      const response = await this.http.send(context).toPromise();
      code = response.httpStatusCode;
      text = await response.body.text();
    } catch (error) {
      if (this.signal?.aborted) throw this.signal.reason ?? error;
      if (timeout.aborted) throw new DependencyUnreachable('Kubernetes', `${method} ${path}: no answer from ${this.server} within ${this.requestTimeoutMs} ms`);
      // Connection refused, reset, DNS, TLS: transient from where we stand.
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new DependencyUnreachable('Kubernetes', `${method} ${path}: request to ${this.server} failed: ${cause}`);
    }
    if (code >= 200 && code < 300) return (text ? JSON.parse(text) : undefined) as T;
    throw new KubeApiError(code, method, path, parseStatus(text), text);
  }

  /** The API server this client talks to (what caches shared between clients are keyed by). */
  get serverUrl(): string {
    return this.server;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  patch<T>(path: string, type: PatchType, body: unknown, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('PATCH', path, { body, query, contentType: patchContentTypes[type] });
  }

  delete<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('DELETE', path, { query });
  }

  /**
   * Waits until the API server reports a change to the collection `path` (narrowed by `query`,
   * e.g. a field selector on one name) after `resourceVersion`, or until `timeoutMs` passed:
   * true when something changed. Only *that* it changed: the caller reads what it needs again, so
   * a missed or merged event costs nothing but the wait. One watch request, closed on return.
   */
  async changedSince(path: string, query: Record<string, string>, resourceVersion: string, timeoutMs: number): Promise<boolean> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    url.searchParams.set('watch', 'true');
    url.searchParams.set('resourceVersion', resourceVersion);
    url.searchParams.set('timeoutSeconds', String(Math.max(1, Math.ceil(timeoutMs / 1000))));
    const context = new k8s.RequestContext(url.toString(), k8s.HttpMethod.GET);
    await authenticate(this.kubeConfig, context);
    if (this.impersonate) context.setHeaderParam('Impersonate-User', this.impersonate.user);
    const done = new AbortController();
    const timer = setTimeout(() => done.abort(), timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, done.signal]) : done.signal;
    try {
      const response = await undiciFetch(url, { headers: context.getHeaders(), dispatcher: context.getDispatcher(), signal });
      if (response.status !== 200 || !response.body) {
        const text = await response.text();
        throw new KubeApiError(response.status, 'GET', path, parseStatus(text), text);
      }
      // Any complete line is an event (bookmarks are not asked for; an ERROR such as 410 Gone also
      // means "read again").
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        if (decoder.decode(chunk, { stream: true }).includes('\n')) return true;
      }
      return false;
    } catch (error) {
      if (this.signal?.aborted) throw this.signal.reason ?? error;
      if (done.signal.aborted) return false;
      throw error;
    } finally {
      clearTimeout(timer);
      done.abort();
    }
  }
}

function parseStatus(text: string): KubeStatus | undefined {
  try {
    const parsed = JSON.parse(text) as KubeStatus;
    return parsed && typeof parsed === 'object' && parsed.kind === 'Status' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
