// Outages of what a step depends on (PostgreSQL, the Kubernetes API server, the ops repo's git
// remote) are waits, not failures: a 2-minute database restart or a 60-second API server outage
// must not fail a release, let alone trigger an auto-rollback when the service comes back. The
// step retries its (idempotent) work with backoff until the outage budget is spent, and only then
// fails, naming the service and since when it has not answered.
import { DependencyUnreachable, DeployerError, unavailableType, type Dependency } from '../src/domain/errors.js';
import { isPostgresUnreachable } from '../src/db/pool.js';
import { isKubernetesUnreachable } from '../src/k8s/client.js';

/** How long one step waits for an unreachable dependency before the release fails. */
export const OUTAGE_BUDGET_MS = 5 * 60_000;

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/** What a waiting step reports in its heartbeat details (and `deployer status` shows). */
export interface Outage {
  dependency: Dependency;
  /** when the step first found it unreachable (ms since the epoch) */
  since: number;
  /** the last error, for people */
  error: string;
}

/** Which dependency `error` says is unreachable, or undefined when the error is about the request itself. */
export function unreachableDependency(error: unknown): Dependency | undefined {
  if (error instanceof DependencyUnreachable) return error.dependency;
  if (isKubernetesUnreachable(error)) return 'Kubernetes';
  if (isPostgresUnreachable(error)) return 'PostgreSQL';
  return undefined;
}

export function outageRetryDelay(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
}

export function describeOutage(outage: Outage): string {
  return `waiting for ${outage.dependency}: unreachable since ${new Date(outage.since).toISOString()} (${outage.error})`;
}

export interface RideOutOptions {
  budgetMs?: number;
  /** told of each outage seen (and of its end, with undefined) */
  onOutage(outage: Outage | undefined): void;
  sleep(ms: number): Promise<void>;
  now?: () => number;
}

/** Runs `work`, running it again while it fails because a dependency is unreachable, up to the budget. */
export async function ridingOutOutages<T>(work: () => Promise<T>, options: RideOutOptions): Promise<T> {
  const { budgetMs = OUTAGE_BUDGET_MS, onOutage, sleep, now = Date.now } = options;
  let outage: Outage | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await work();
      if (outage) onOutage(undefined);
      return result;
    } catch (error) {
      const dependency = unreachableDependency(error);
      if (dependency === undefined) throw error;
      const at = now();
      outage = { dependency, since: outage?.since ?? at, error: (error as Error).message.slice(0, 500) };
      onOutage(outage);
      const waited = at - outage.since;
      if (waited >= budgetMs) {
        throw new DeployerError(
          unavailableType[dependency],
          `${unavailableType[dependency]}: ${dependency} has not answered since ${new Date(outage.since).toISOString()}; ` +
            `the step gave up after waiting ${Math.round(waited / 1000)} s: ${outage.error}`,
        );
      }
      await sleep(Math.min(outageRetryDelay(attempt), budgetMs - waited));
    }
  }
}
