// Deployment routes act only on registered environments: a deploy to an unknown one would start a
// workflow that fails on its first activity, so it is refused here with a 404 instead.
import type pg from 'pg';
import { loadEffectivePolicy } from '../db/effective-policy.js';
import { findEnvironment, type EnvironmentRecord } from '../db/environment-settings.js';
import type { EnvironmentPolicy } from '../domain/vocabulary.js';
import type { ResolvedApiDeps } from './deps.js';
import { notFound } from './errors.js';

function notRegistered(project: string, environment: string) {
  return notFound(`environment ${project}/${environment} is not registered; register it with PUT /api/projects/${project}/environments/${environment}`);
}

export async function requireEnvironment(pool: pg.Pool, project: string, environment: string): Promise<EnvironmentRecord> {
  const record = await findEnvironment(pool, project, environment);
  if (!record) throw notRegistered(project, environment);
  return record;
}

/** The policy the environment's workflow runs under (loadEffectivePolicy), with the server's defaults. */
export async function requireEffectivePolicy(deps: Pick<ResolvedApiDeps, 'pool' | 'defaultPolicy'>, project: string, environment: string): Promise<EnvironmentPolicy> {
  const policy = await loadEffectivePolicy(deps.pool, project, environment, deps.defaultPolicy);
  // Deleted since the caller found it.
  if (!policy) throw notRegistered(project, environment);
  return policy;
}
