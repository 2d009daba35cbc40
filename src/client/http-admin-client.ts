// Administration through the HTTP API with a token (scope admin; deploy:read to read a policy):
// registering environments, ops repositories, project policies and notification subscriptions,
// with the API's checks, and audited under the token's name. The bodies are the API's own
// (snake_case, /openapi.json).
import { callApi, type ApiCredentials } from './api-call.js';

/** An ops repo as the API shows it (OpsRepo in /openapi.json). */
export interface OpsRepoBody {
  id: number;
  name: string;
  url: string;
  branch: string;
  path: string;
  last_sha: string | null;
  webhook_secret_set: boolean;
  /** the git credentials' kind and fingerprint; null when none are set */
  credentials: { kind: 'https' | 'ssh'; fingerprint: string } | null;
}

export interface OpsRepoChange {
  name: string;
  url: string;
  branch: string;
  path: string;
  /** set it; null removes it; absent leaves it */
  webhook_secret?: string | null;
  /** the git credentials (GitCredentials in /openapi.json), write-only: set, null removes them, absent leaves them */
  credentials?: Record<string, unknown> | null;
}

/** A notification subscription as the API shows it (NotificationSubscription in /openapi.json). */
export interface NotificationSubscriptionBody {
  id: number;
  project: string;
  environment: string | null;
  events: string[];
  url: string;
  format: 'cloudevents' | 'slack';
  secret_set: boolean;
  created_by: string;
  created_at: string;
}

/** One row of a subscription's delivery log (NotificationDelivery in /openapi.json). */
export interface NotificationDeliveryBody {
  id: number;
  subscription_id: number;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_http_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export class HttpAdminClient {
  constructor(private readonly credentials: ApiCredentials) {}

  /** PUT /api/projects/{p}/environments/{e}: registers or replaces the environment. */
  async registerEnvironment(project: string, environment: string, body: Record<string, unknown>): Promise<{ created: boolean }> {
    const { status } = await callApi(this.credentials, 'PUT', `/api/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}`, body);
    return { created: status === 201 };
  }

  async opsRepos(): Promise<OpsRepoBody[]> {
    return ((await callApi(this.credentials, 'GET', '/api/admin/ops-repos')).body as { items: OpsRepoBody[] }).items;
  }

  /** Creates the ops repo named `change.name`, or changes the one of that name (as `ops-repo add` does on the database). */
  async saveOpsRepo(change: OpsRepoChange): Promise<{ repo: OpsRepoBody; created: boolean }> {
    const existing = (await this.opsRepos()).find((repo) => repo.name === change.name);
    if (existing) return { repo: (await callApi(this.credentials, 'PATCH', `/api/admin/ops-repos/${existing.id}`, { ...change })).body as OpsRepoBody, created: false };
    // A new repo has nothing to remove.
    const { webhook_secret: secret, credentials, ...rest } = change;
    const body = { ...rest, ...(secret === null || secret === undefined ? {} : { webhook_secret: secret }), ...(credentials ? { credentials } : {}) };
    return { repo: (await callApi(this.credentials, 'POST', '/api/admin/ops-repos', body)).body as OpsRepoBody, created: true };
  }

  /** The named ops repo, or undefined when none has that name. */
  async opsRepo(name: string): Promise<OpsRepoBody | undefined> {
    return (await this.opsRepos()).find((repo) => repo.name === name);
  }

  /** POST …/ops-repos/{id}/sync: the worker's poller fetches the branch; answers its head. */
  async syncOpsRepo(id: number): Promise<{ sha: string }> {
    return (await callApi(this.credentials, 'POST', `/api/admin/ops-repos/${id}/sync`)).body as { sha: string };
  }

  async projectPolicy(project: string): Promise<Record<string, unknown>> {
    return (await callApi(this.credentials, 'GET', `/api/projects/${encodeURIComponent(project)}/policy`)).body as Record<string, unknown>;
  }

  async setProjectPolicy(project: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await callApi(this.credentials, 'PUT', `/api/projects/${encodeURIComponent(project)}/policy`, body)).body as Record<string, unknown>;
  }

  async notificationSubscriptions(project?: string): Promise<NotificationSubscriptionBody[]> {
    const query = project === undefined ? '' : `?project=${encodeURIComponent(project)}`;
    return ((await callApi(this.credentials, 'GET', `/api/notifications/subscriptions${query}`)).body as { items: NotificationSubscriptionBody[] }).items;
  }

  /** POST /api/notifications/subscriptions: the secret is write-only, the answer says only whether one is set. */
  async subscribe(body: { project: string; environment?: string; url: string; format: string; events: string[]; secret?: string }): Promise<NotificationSubscriptionBody> {
    return (await callApi(this.credentials, 'POST', '/api/notifications/subscriptions', { ...body })).body as NotificationSubscriptionBody;
  }

  async unsubscribe(id: number): Promise<void> {
    await callApi(this.credentials, 'DELETE', `/api/notifications/subscriptions/${id}`);
  }

  /** The subscription's delivery log, newest first. */
  async notificationDeliveries(id: number, limit?: number): Promise<NotificationDeliveryBody[]> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    return ((await callApi(this.credentials, 'GET', `/api/notifications/subscriptions/${id}/deliveries${query}`)).body as { items: NotificationDeliveryBody[] }).items;
  }
}
