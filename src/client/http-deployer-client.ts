// The SDK for pipelines that hold an API token rather than access to Temporal: the calls of
// DeployerClient (deploy, rollback, stop, cancel, approve, reject, waitForRelease) through the HTTP API, so every
// request meets the API's checks and scopes and is audited under the token's name.
//
//   const deployer = new HttpDeployerClient({ url: 'https://deployer.example', token: process.env.DEPLOYER_TOKEN! });
//   const { requestId } = await deployer.deploy({ project: 'shop', environment: 'staging', imageRef, requestedBy: 'ci' });
//   const release = await deployer.waitForRelease({ project: 'shop', environment: 'staging' }, requestId);
import { randomUUID } from 'node:crypto';
import { checkRequest } from '../domain/request-rules.js';
import { ApiRequestError, callApi, type ApiCredentials } from './api-call.js';
import type { ApprovalRecord, ChangeAction, EnvironmentRef, FieldChange, RolloutProgress } from '../domain/vocabulary.js';
import type { PreviewedObject, ReleasePreview } from '../domain/release-preview.js';
import type { ReleaseChanges } from '../domain/release-changes.js';
import type { ApprovalAnswer, ApprovalDecision } from '../../workflows/messages.js';
import type { Decision } from './decide-approval.js';
import {
  decisionCall,
  healthyRelease,
  type Accepted,
  type DeployOptions,
  type Deployer,
  type GatedOptions,
  type PreviewOptions,
  type ReleaseSummary,
  type RequestOptions,
  type RequestOutcome,
  type RollbackOptions,
  type WaitOptions,
} from './deployer-client.js';

/** The API's base URL and a token: deploy:promote to send requests, deploy:read to wait for them. */
export type HttpDeployerClientOptions = ApiCredentials;

export { ApiRequestError };

/** The API's answer to GET …/requests/{id} (RequestOutcome in /openapi.json). */
interface RequestOutcomeBody {
  request_id: string;
  outcome: string;
  final: boolean;
  detail: string | null;
  release: { seq: number | null; image_ref: string; ops_sha: string | null; status: ReleaseSummary['status']; error: string | null } | null;
  waiting_for: string | null;
  step: string | null;
  workflow_status: string;
}

/** The `workflow` of GET …/deployments/{env}: its status and, when it answers, its state. */
export interface LiveWorkflowBody {
  status: string;
  state: Record<string, unknown> | null;
  state_error: string | null;
  waiting_on?: string | null;
  /** while the health step runs: each workload's replicas, as the rollout last reported them */
  rollout?: RolloutProgress[];
}

/** Objects as the API shows what an apply did or would do (ChangedObject in /openapi.json). */
type ChangedObjectsBody = Array<{ api_version: string; kind: string; name: string; namespace: string | null; action: ChangeAction; diff: FieldChange[] }>;

/** The answer of POST …/deployments/{env}/preview. */
interface PreviewBody {
  image_ref: string;
  ops_sha: string;
  manifest_hash: string;
  summary: ReleasePreview['summary'];
  omitted_field_changes: number;
  objects: ChangedObjectsBody;
}

/** The part of a row of GET …/deployments/{env}/history the command line reads (HistoryItem in /openapi.json). */
interface HistoryItemBody {
  id: number;
  action: string;
  status: string;
  request_id: string | null;
  started_at: string;
  changes: { objects: ChangedObjectsBody; omitted_field_changes: number } | null;
  approval: { decision: ApprovalRecord['decision']; by: string | null; at: string; reason: string | null } | null;
}

/** One history row: which request it is of, and what its release's apply did when that was recorded. */
export interface RecordedHistoryRow {
  id: number;
  action: string;
  status: string;
  requestId?: string;
  /** ISO 8601 */
  startedAt: string;
  changes?: ReleaseChanges;
  /** who let it through its approval gate, when it had one */
  approval?: ApprovalRecord;
}

function approvalFromBody(body: NonNullable<HistoryItemBody['approval']>): ApprovalRecord {
  return { decision: body.decision, at: body.at, ...(body.by === null ? {} : { by: body.by }), ...(body.reason === null ? {} : { reason: body.reason }) };
}

/** The answer of POST …/deployments/{env}/approve and …/reject. */
interface ApprovalAnswerBody {
  request_id: string;
  decision: ApprovalAnswer['decision'];
  decided_at: string;
}

/** One long poll holds this long at most, so a proxy's idle timeout never cuts it. */
const LONG_POLL_S = 20;

export class HttpDeployerClient implements Deployer {
  constructor(private readonly options: HttpDeployerClientOptions) {}

  /** The API records the token's name as the requester: `requestedBy` is checked, not sent. */
  async deploy(options: DeployOptions): Promise<Accepted> {
    const requestId = this.checked(options, { imageRef: options.imageRef ?? '', valuesOverride: options.valuesOverride, secrets: options.secrets });
    return this.send('PATCH', options, '', requestId, {
      image_ref: options.imageRef,
      values_override: options.valuesOverride,
      secrets: options.secrets,
      reason: options.reason,
      override_freeze: options.overrideFreeze,
    });
  }

  async rollback(options: RollbackOptions): Promise<Accepted> {
    return this.send('POST', options, '/rollback', this.checked(options), { to_release: options.toRelease, reason: options.reason, override_freeze: options.overrideFreeze });
  }

  // The API takes the token's name as who decides: `decidedBy` is checked, not sent.
  readonly approve = decisionCall((key, request) => this.decide('approve', key, request));
  readonly reject = decisionCall((key, request) => this.decide('reject', key, request));

  private async decide(decision: Decision, key: EnvironmentRef, { requestId, reason }: ApprovalDecision): Promise<ApprovalAnswer> {
    const answer = (await this.call('POST', `${this.path(key)}/${decision}`, { request_id: requestId, reason })) as ApprovalAnswerBody;
    return { requestId: answer.request_id, decision: answer.decision, decidedAt: answer.decided_at };
  }

  /** What deploying `imageRef` would change (a dry run on a worker; nothing changes). */
  async preview(options: PreviewOptions): Promise<ReleasePreview> {
    this.checked(options, { imageRef: options.imageRef ?? '', valuesOverride: options.valuesOverride });
    const body = (await this.call('POST', `${this.path(options)}/preview`, { image_ref: options.imageRef, values_override: options.valuesOverride })) as PreviewBody;
    return {
      imageRef: body.image_ref,
      opsSha: body.ops_sha,
      manifestHash: body.manifest_hash,
      summary: body.summary,
      ...(body.omitted_field_changes > 0 ? { omittedFieldChanges: body.omitted_field_changes } : {}),
      objects: changedObjectsFromBody(body.objects),
    };
  }

  /** The environment's history, newest first: one page of up to `limit` rows (at most 100). */
  async history(key: EnvironmentRef, { limit = 100 }: { limit?: number } = {}): Promise<RecordedHistoryRow[]> {
    checkRequest(key);
    const body = (await this.call('GET', `${this.path(key)}/history?limit=${limit}`)) as { items: HistoryItemBody[] };
    return body.items.map((item) => ({
      id: item.id,
      action: item.action,
      status: item.status,
      ...(item.request_id === null ? {} : { requestId: item.request_id }),
      startedAt: item.started_at,
      ...(item.changes ? { changes: { objects: changedObjectsFromBody(item.changes.objects), omittedFieldChanges: item.changes.omitted_field_changes } } : {}),
      ...(item.approval ? { approval: approvalFromBody(item.approval) } : {}),
    }));
  }

  async stop(options: RequestOptions): Promise<Accepted> {
    return this.send('POST', options, '/stop', this.checked(options), { reason: options.reason });
  }

  async cancel(options: RequestOptions): Promise<Accepted> {
    return this.send('POST', options, '/cancel', this.checked(options), { reason: options.reason });
  }

  /**
   * Follows request `requestId` through the API's long poll until it has its final outcome, and
   * returns where it ended. Times out with the workflow's account of what it waits for.
   */
  async waitForRequest(key: EnvironmentRef, requestId: string, { timeoutMs = 10 * 60_000, onProgress }: WaitOptions = {}): Promise<RequestOutcomeBody> {
    checkRequest({ ...key, requestId });
    const deadline = Date.now() + timeoutMs;
    let lastSummary = '';
    for (;;) {
      const waitS = Math.max(0, Math.min(LONG_POLL_S, Math.ceil((deadline - Date.now()) / 1000)));
      const answer = (await this.call('GET', `${this.path(key)}/requests/${encodeURIComponent(requestId)}?wait_s=${waitS}`)) as RequestOutcomeBody;
      if (answer.final) return answer;
      const summary = `${answer.outcome}: ${answer.step ? `step ${answer.step}` : (answer.waiting_for ?? 'the environment has no workflow yet')}`;
      if (onProgress && summary !== lastSummary) {
        lastSummary = summary;
        onProgress({ summary, workloads: [] });
      }
      if (Date.now() >= deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for request ${requestId}: ${answer.waiting_for ?? `outcome ${answer.outcome}`}`);
      }
    }
  }

  async waitForOutcome(key: EnvironmentRef, requestId: string, options: WaitOptions = {}): Promise<RequestOutcome> {
    const answer = await this.waitForRequest(key, requestId, options);
    const release: ReleaseSummary | undefined = answer.release
      ? { seq: answer.release.seq ?? undefined, imageRef: answer.release.image_ref, opsSha: answer.release.ops_sha ?? undefined, status: answer.release.status, error: answer.release.error ?? undefined }
      : undefined;
    const ended = answer.workflow_status !== 'RUNNING' && answer.outcome === 'unknown';
    return {
      outcome: ended ? 'failed' : answer.outcome,
      detail:
        answer.detail ??
        release?.error ??
        (answer.workflow_status !== 'RUNNING' ? `the environment's workflow is ${answer.workflow_status.toLowerCase()}, not running; send the request again to start a new run` : undefined),
      release,
    };
  }

  /**
   * Resolves with the release once request `requestId` made it healthy; rejects with a
   * ReleaseFailedError when it failed, was cancelled, superseded or refused, or its workflow ended.
   */
  async waitForRelease(key: EnvironmentRef, requestId: string, options: WaitOptions = {}): Promise<ReleaseSummary> {
    return healthyRelease(requestId, await this.waitForOutcome(key, requestId, options));
  }

  /** The token's own identity: name, scopes, project (GET /api/whoami). */
  async whoami(): Promise<{ name: string; scopes: string[]; project: string | null }> {
    return (await this.call('GET', '/api/whoami')) as { name: string; scopes: string[]; project: string | null };
  }

  /** The environment's workflow as the API sees it (GET …/deployments/{env}): null when it never ran. */
  async liveWorkflow(key: EnvironmentRef): Promise<LiveWorkflowBody | null> {
    checkRequest(key);
    return ((await this.call('GET', this.path(key))) as { workflow: LiveWorkflowBody | null }).workflow;
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  /** The request id to send, once the request passes the rules the API applies too. */
  private checked(options: GatedOptions, release: Pick<DeployOptions, 'imageRef' | 'valuesOverride' | 'secrets'> | Record<string, never> = {}): string {
    const { project, environment, requestedBy, reason, requestId, overrideFreeze } = options;
    checkRequest({ project, environment, requestedBy, reason, requestId, overrideFreeze, ...release });
    return requestId ?? randomUUID();
  }

  private path(key: EnvironmentRef): string {
    return `/api/projects/${encodeURIComponent(key.project)}/deployments/${encodeURIComponent(key.environment)}`;
  }

  private async send(method: string, key: EnvironmentRef, suffix: string, requestId: string, body: Record<string, unknown>): Promise<Accepted> {
    const accepted = (await this.call(method, `${this.path(key)}${suffix}`, body, requestId)) as { request_id: string; workflow_id: string; outcome?: string | null };
    // The API keeps a request's receipt itself (its long poll reads it), so only the outcome comes back.
    return { requestId: accepted.request_id, workflowId: accepted.workflow_id, ...(accepted.outcome ? { outcome: accepted.outcome as Accepted['outcome'] } : {}) };
  }

  private async call(method: string, path: string, body?: Record<string, unknown>, requestId?: string): Promise<unknown> {
    return (await callApi(this.options, method, path, body, requestId)).body;
  }
}

/** The API's objects back in the domain's shape: a preview's, or what a release's apply did. */
function changedObjectsFromBody(objects: ChangedObjectsBody): PreviewedObject[] {
  return objects.map(({ api_version, kind, name, namespace, action, diff }) => ({
    ref: { apiVersion: api_version, kind, name, ...(namespace === null ? {} : { namespace }) },
    action,
    ...(diff.length > 0 ? { diff } : {}),
  }));
}
