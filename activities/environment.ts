// loadEnvironment: what a deployment needs to know about its environment, read fresh from
// Postgres for every deployment and drift pass, so policy and repo changes apply without restarts.
// The policy is the effective one (src/db/effective-policy.ts): with its project's freeze windows
// and whether anyone subscribed to its notifications, so every load refreshes the workflow's gates.
import { ApplicationFailure } from '@temporalio/common';
import { loadEffectivePolicy } from '../src/db/effective-policy.js';
import { EnvironmentNotFound } from '../src/domain/errors.js';
import { serviceAccountUser, type ServiceAccountRef } from '../src/domain/tenancy.js';
import type { ActivityDeps } from './index.js';
import { runStep } from './step.js';
import { defaultPolicy, type EnvironmentConfig, type EnvironmentRef } from './types.js';

interface EnvironmentRow {
  namespace: string;
  manifest_path: string;
  values_override: Record<string, unknown>;
  impersonate: ServiceAccountRef | null;
  url: string;
  branch: string;
  path: string;
}

export function createEnvironmentActivities({ pool, defaultPolicy: configured, defaultServiceAccount }: Pick<ActivityDeps, 'pool' | 'defaultPolicy' | 'defaultServiceAccount'>) {
  return {
    loadEnvironment(ref: EnvironmentRef): Promise<EnvironmentConfig> {
      return runStep(() => load(ref));
    },
  };

  async function load(ref: EnvironmentRef): Promise<EnvironmentConfig> {
    const { rows } = await pool.query<EnvironmentRow>(
      `SELECT e.namespace, e.manifest_path, e.values_override, e.impersonate, r.url, r.branch, r.path
         FROM environments e JOIN ops_repos r ON r.id = e.ops_repo_id
        WHERE e.project = $1 AND e.name = $2`,
      [ref.project, ref.environment],
    );
    const row = rows[0];
    const policy = row && (await loadEffectivePolicy(pool, ref.project, ref.environment, configured ?? defaultPolicy));
    // No policy: the environment was deleted between the two reads.
    if (!row || !policy) {
      throw ApplicationFailure.nonRetryable(
        `environment ${ref.project}/${ref.environment} is not registered: register it (ops repo, manifest path, namespace) before deploying`,
        EnvironmentNotFound,
      );
    }
    return {
      ...ref,
      namespace: row.namespace,
      opsRepo: { url: row.url, branch: row.branch, path: row.path },
      manifestPath: row.manifest_path,
      valuesOverride: row.values_override,
      policy,
      // The environment's own service account, else the deployer-wide default one in its namespace
      // (as Flux's --default-service-account), else the worker's own identity.
      impersonate: row.impersonate
        ? { user: serviceAccountUser(row.impersonate) }
        : defaultServiceAccount
          ? { user: serviceAccountUser({ name: defaultServiceAccount, namespace: row.namespace }) }
          : undefined,
    };
  }
}
