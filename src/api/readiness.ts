// Whether the API can do its work: Postgres answers a query and Temporal answers a call. Each
// check is bounded, so an unreachable service makes /readyz fail fast instead of hanging probes.
import type { ResolvedApiDeps } from './deps.js';

export interface CheckResult {
  ok: boolean;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { postgres: CheckResult; temporal: CheckResult };
}

async function bounded(what: string, timeoutMs: number, check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(deps: Pick<ResolvedApiDeps, 'pool' | 'temporalClient' | 'readinessTimeoutMs'>): Promise<Readiness> {
  const timeoutMs = deps.readinessTimeoutMs;
  const [postgres, temporal] = await Promise.all([
    bounded('postgres', timeoutMs, () => deps.pool.query('SELECT 1')),
    bounded('temporal', timeoutMs, () =>
      // The deadline also ends the gRPC call itself, which would otherwise keep retrying.
      deps.temporalClient.withDeadline(Date.now() + timeoutMs, () => deps.temporalClient.workflowService.getSystemInfo({})),
    ),
  ]);
  return { ready: postgres.ok && temporal.ok, checks: { postgres, temporal } };
}
