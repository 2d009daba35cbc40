// Database records in the API's shape: snake_case, ISO timestamps.
import type { DeploymentStateRow, HistoryRow } from '../db/deployment-reads.js';
import type { EnvironmentRecord } from '../db/environment-settings.js';
import type { OpsRepoRecord } from '../db/ops-repo-admin.js';
import type { DeliveryRecord, SubscriptionRecord } from '../db/notifications.js';
import type { PreviewedObject } from '../domain/release-preview.js';
import type { ApprovalRecord, EnvironmentPolicy } from '../domain/vocabulary.js';
import { effectivePolicyToApi } from './policy.js';

function isoOrNull(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

export function presentDeploymentState(row: DeploymentStateRow | null) {
  return (
    row && {
      desired_image: row.desiredImage,
      desired_status: row.desiredStatus,
      current_status: row.currentStatus,
      current_image: row.currentImage,
      current_sha: row.currentSha,
      manifest_hash: row.manifestHash,
      deployed_at: isoOrNull(row.deployedAt),
      updated_at: row.updatedAt.toISOString(),
    }
  );
}

export function presentHistoryRow(row: HistoryRow) {
  return {
    id: row.id,
    action: row.action,
    status: row.status,
    image_ref: row.imageRef,
    sha: row.sha,
    manifest_hash: row.manifestHash,
    values_override: row.valuesOverride,
    error: row.error,
    error_type: row.errorType,
    request_id: row.requestId,
    requested_by: row.requestedBy,
    reason: row.reason,
    started_at: row.startedAt.toISOString(),
    finished_at: isoOrNull(row.finishedAt),
    approval: presentApproval(row.approval),
    changes: row.changes && { objects: presentChangedObjects(row.changes.objects), omitted_field_changes: row.changes.omittedFieldChanges },
  };
}

function presentApproval(approval: ApprovalRecord | null) {
  return approval && { decision: approval.decision, by: approval.by ?? null, at: approval.at, reason: approval.reason ?? null };
}

/** What an apply did (a release's, recorded) or would do (a preview's), object by object. */
export function presentChangedObjects(objects: readonly PreviewedObject[]) {
  return objects.map(({ ref, action, diff }) => ({ api_version: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace ?? null, action, diff: diff ?? [] }));
}

/** `policy`: the environment's effective policy (loadEffectivePolicy). */
export function presentEnvironment(record: EnvironmentRecord, policy: EnvironmentPolicy) {
  return {
    project: record.project,
    environment: record.environment,
    namespace: record.namespace,
    cluster: record.cluster,
    manifest_path: record.manifestPath,
    ops_repo: record.opsRepo,
    policy: effectivePolicyToApi(policy, record.policy.freezeWindows?.length ?? 0),
    values_override: record.valuesOverride,
    share_namespace: record.shareNamespace,
    impersonate: record.impersonate && { service_account: record.impersonate.name, namespace: record.impersonate.namespace },
    secrets: record.secrets,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

export function presentOpsRepo(row: OpsRepoRecord) {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    branch: row.branch,
    path: row.path,
    sync_interval_s: row.syncIntervalS,
    last_synced_at: isoOrNull(row.lastSyncedAt),
    last_sha: row.lastSha,
    webhook_secret_set: row.webhookSecretSet,
    credentials: row.credentials,
    environment_count: row.environmentCount,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function presentSubscription(row: SubscriptionRecord) {
  return {
    id: row.id,
    project: row.project,
    environment: row.environment,
    events: row.events,
    url: row.url,
    format: row.format,
    secret_set: row.secretSet,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
  };
}

export function presentDelivery(row: DeliveryRecord) {
  return {
    id: row.id,
    subscription_id: row.subscriptionId,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attempts,
    last_http_status: row.lastHttpStatus,
    last_error: row.lastError,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    delivered_at: isoOrNull(row.deliveredAt),
  };
}
