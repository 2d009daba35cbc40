// The environment policy in the API's snake_case, and its conversion to the stored camelCase
// EnvironmentPolicy the workflow reads.
import { formatDuration, parseDuration } from '../domain/freeze-windows.js';
import { checkedFreezeWindowsFromApi, freezeWindowToApi, type ApiFreezeWindow } from '../domain/freeze-window-names.js';
import { InvalidRequestError } from '../domain/request-rules.js';
import type { EnvironmentPolicy } from '../domain/vocabulary.js';
import { MAX_APPROVAL_EXPIRY_MS } from './schemas/environments.js';

export interface ApiApproval {
  required: boolean;
  expires_after: string | number;
  allow_self_approval?: boolean;
  /** documents who approves; only "deploy:approve" is allowed */
  approvers?: 'deploy:approve';
}

export interface ApiPolicy {
  min_interval_ms?: number;
  drift_interval_ms?: number;
  health_timeout_ms?: number;
  auto_rollback?: boolean;
  force_conflicts?: boolean;
  has_autoscaler?: boolean;
  approval?: ApiApproval;
  freeze_windows?: ApiFreezeWindow[];
}

/** The settings that only change their names. */
const NAMES = {
  min_interval_ms: 'minIntervalMs',
  drift_interval_ms: 'driftIntervalMs',
  health_timeout_ms: 'healthTimeoutMs',
  auto_rollback: 'autoRollback',
  force_conflicts: 'forceConflicts',
  has_autoscaler: 'hasAutoscaler',
} as const satisfies Record<Exclude<keyof ApiPolicy, 'approval' | 'freeze_windows'>, keyof EnvironmentPolicy>;

/**
 * Only the settings given: absent ones keep following the defaults. `policy` has passed the
 * API's schema (policyBody); anything it would refuse throws an InvalidRequestError naming the field.
 */
export function policyFromApi(policy: ApiPolicy): Partial<EnvironmentPolicy> {
  const stored: Partial<EnvironmentPolicy> = {};
  for (const [apiName, storedName] of Object.entries(NAMES) as Array<[keyof typeof NAMES, keyof EnvironmentPolicy]>) {
    const value = policy[apiName];
    if (value !== undefined) Object.assign(stored, { [storedName]: value });
  }
  if (policy.approval !== undefined) {
    const expiresAfterMs = parseDuration(policy.approval.expires_after, MAX_APPROVAL_EXPIRY_MS);
    if (typeof expiresAfterMs === 'string') throw new InvalidRequestError([{ field: 'policy.approval.expires_after', message: expiresAfterMs }]);
    stored.approval = { required: policy.approval.required, expiresAfterMs, allowSelfApproval: policy.approval.allow_self_approval ?? false };
  }
  if (policy.freeze_windows !== undefined) stored.freezeWindows = checkedFreezeWindowsFromApi(policy.freeze_windows, 'policy.freeze_windows');
  return stored;
}

/**
 * The effective policy (loadEffectivePolicy: the stored settings over the defaults, the
 * environment's windows followed by its project's) in the API's names. `ownWindows` is how many
 * of the windows are the environment's own; the rest are its project's.
 */
export function effectivePolicyToApi(effective: EnvironmentPolicy, ownWindows: number) {
  const { approval } = effective;
  return {
    min_interval_ms: effective.minIntervalMs,
    drift_interval_ms: effective.driftIntervalMs,
    health_timeout_ms: effective.healthTimeoutMs,
    auto_rollback: effective.autoRollback,
    force_conflicts: effective.forceConflicts,
    has_autoscaler: effective.hasAutoscaler,
    approval: approval
      ? { required: approval.required, expires_after: formatDuration(approval.expiresAfterMs), allow_self_approval: approval.allowSelfApproval, approvers: 'deploy:approve' as const }
      : null,
    freeze_windows: (effective.freezeWindows ?? []).map((window, index) => ({
      ...freezeWindowToApi(window),
      source: index < ownWindows ? ('environment' as const) : ('project' as const),
    })),
    notifications: effective.notifications ?? false,
  };
}
