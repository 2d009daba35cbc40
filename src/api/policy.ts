// The environment policy in the API's snake_case, and its conversion to the stored camelCase
// EnvironmentPolicy the workflow reads.
import { defaultPolicy, type EnvironmentPolicy } from '../domain/vocabulary.js';

export interface ApiPolicy {
  min_interval_ms?: number;
  drift_interval_ms?: number;
  health_timeout_ms?: number;
  auto_rollback?: boolean;
  force_conflicts?: boolean;
  has_autoscaler?: boolean;
}

const NAMES = {
  min_interval_ms: 'minIntervalMs',
  drift_interval_ms: 'driftIntervalMs',
  health_timeout_ms: 'healthTimeoutMs',
  auto_rollback: 'autoRollback',
  force_conflicts: 'forceConflicts',
  has_autoscaler: 'hasAutoscaler',
} as const satisfies Record<keyof ApiPolicy, keyof EnvironmentPolicy>;

/** Only the settings given: absent ones keep following the defaults. */
export function policyFromApi(policy: ApiPolicy): Partial<EnvironmentPolicy> {
  const stored: Partial<EnvironmentPolicy> = {};
  for (const [apiName, storedName] of Object.entries(NAMES) as Array<[keyof ApiPolicy, keyof EnvironmentPolicy]>) {
    const value = policy[apiName];
    if (value !== undefined) Object.assign(stored, { [storedName]: value });
  }
  return stored;
}

/** The effective policy (stored settings over the defaults), in the API's names. */
export function effectivePolicyToApi(stored: Partial<EnvironmentPolicy>): Required<ApiPolicy> {
  const effective = { ...defaultPolicy, ...stored };
  return {
    min_interval_ms: effective.minIntervalMs,
    drift_interval_ms: effective.driftIntervalMs,
    health_timeout_ms: effective.healthTimeoutMs,
    auto_rollback: effective.autoRollback,
    force_conflicts: effective.forceConflicts,
    has_autoscaler: effective.hasAutoscaler,
  };
}
