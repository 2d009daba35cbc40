// Deployment routes act only on registered environments: a deploy to an unknown one would start a
// workflow that fails on its first activity, so it is refused here with a 404 instead.
import type pg from 'pg';
import { findEnvironment, type EnvironmentRecord } from '../db/environment-settings.js';
import { notFound } from './errors.js';

export async function requireEnvironment(pool: pg.Pool, project: string, environment: string): Promise<EnvironmentRecord> {
  const record = await findEnvironment(pool, project, environment);
  if (!record) {
    throw notFound(`environment ${project}/${environment} is not registered; register it with PUT /api/projects/${project}/environments/${environment}`);
  }
  return record;
}
