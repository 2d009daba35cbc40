// Deploys an image to every environment of the fleet at once, through the SDK as a pipeline
// would, and follows the deploys in the database rather than through the workflows' `state`
// query: a thousand waits polling queries would load the very worker being measured.
import { inBatches } from './concurrency.js';
import type { Fleet } from './fleet.js';

export interface FleetDeployResult {
  /** when the first deploy was sent (epoch ms) */
  startedAt: number;
  /** ms until every deploy had been accepted by Temporal */
  sentMs: number;
  /** ms from start until the last environment's release was recorded healthy, if all were */
  allHealthyMs?: number;
  /** ms from start until each environment's release was recorded healthy */
  healthyMs: number[];
  /** environments whose release failed or did not finish in time, with why */
  failures: Array<{ environment: string; status: string; error?: string }>;
}

/** Deploys still in flight are sent this many at a time. */
const SEND_CONCURRENCY = 64;

export async function deployFleet(fleet: Fleet, imageRef: string, { timeoutMs = 15 * 60_000, log = console.error }: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<FleetDeployResult> {
  const batch = `${fleet.run}-${Date.now()}`;
  const requestIds = fleet.environments.map((e) => `bench-${batch}-${e.environment}`);
  const startedAt = Date.now();
  await inBatches(fleet.environments, SEND_CONCURRENCY, (env, i) =>
    fleet.deployer.deploy({ project: fleet.project, environment: env.environment, imageRef, requestedBy: 'bench', requestId: requestIds[i] }),
  );
  const sentMs = Date.now() - startedAt;
  log(`[deploy] ${requestIds.length} deploys of ${imageRef} sent in ${(sentMs / 1000).toFixed(1)} s`);

  const finished = new Map<string, { status: string; finishedAt: number; error?: string }>();
  const deadline = startedAt + timeoutMs;
  let lastReport = Date.now();
  while (finished.size < requestIds.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, requestIds.length > 100 ? 1_000 : 250));
    const { rows } = await fleet.pool.query<{ request_id: string; status: string; finished_at: Date; error: string | null }>(
      `SELECT request_id, status, finished_at, error FROM deployment_history
        WHERE request_id = ANY($1) AND status <> 'in-progress' AND finished_at IS NOT NULL`,
      [requestIds],
    );
    for (const row of rows) finished.set(row.request_id, { status: row.status, finishedAt: row.finished_at.getTime(), error: row.error ?? undefined });
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`[deploy] ${finished.size}/${requestIds.length} finished after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
    }
  }
  const healthyMs: number[] = [];
  const failures: FleetDeployResult['failures'] = [];
  fleet.environments.forEach((env, i) => {
    const outcome = finished.get(requestIds[i]!);
    if (outcome?.status === 'healthy') healthyMs.push(outcome.finishedAt - startedAt);
    else failures.push({ environment: env.environment, status: outcome?.status ?? 'unfinished', error: outcome?.error });
  });
  healthyMs.sort((a, b) => a - b);
  const allHealthyMs = failures.length === 0 ? healthyMs.at(-1) : undefined;
  log(`[deploy] ${healthyMs.length} healthy, ${failures.length} failed or unfinished${allHealthyMs !== undefined ? `; all healthy after ${(allHealthyMs / 1000).toFixed(1)} s` : ''}`);
  return { startedAt, sentMs, allHealthyMs, healthyMs, failures };
}
