// After a change to what makes up environments' effective policies (a registration, a project's
// policy, a notification subscription), sends each affected environment's running workflow its new
// policy, so its gates apply to the next request at once. Best effort: the change is already
// stored and every workflow loads it again before its next release or drift pass, so a failure is
// logged and the API call still succeeds; answering 5xx would invite a retry of what worked.
import { signalPolicyIfRunning } from '../client/signal-policy.js';
import { loadEffectivePolicy, loadProjectEffectivePolicies, type EnvironmentWithPolicy } from '../db/effective-policy.js';
import type { ResolvedApiDeps } from './deps.js';

/** How long one signal may take; a Temporal that does not answer by then is taken to be down. */
const SIGNAL_TIMEOUT_MS = 5_000;
/** Signals in flight at once, for a project of many environments. */
const CONCURRENCY = 8;

type PushDeps = Pick<ResolvedApiDeps, 'pool' | 'temporalClient' | 'defaultPolicy' | 'logger'>;

/** Pushes the effective policy of `environment`, or of every environment of `project` when it is null. */
export async function pushPolicy(deps: PushDeps, project: string, environment: string | null): Promise<void> {
  let affected: EnvironmentWithPolicy[];
  try {
    if (environment === null) affected = await loadProjectEffectivePolicies(deps.pool, project, deps.defaultPolicy);
    else {
      const policy = await loadEffectivePolicy(deps.pool, project, environment, deps.defaultPolicy);
      affected = policy ? [{ environment, policy }] : [];
    }
  } catch (error) {
    deps.logger.error({ err: error, project, environment }, "loading the changed policy to send to the environments' workflows failed; they apply it at their next load");
    return;
  }
  for (let start = 0; start < affected.length; start += CONCURRENCY) {
    const batch = affected.slice(start, start + CONCURRENCY);
    const sent = await Promise.allSettled(
      batch.map((one) => signalPolicyIfRunning(deps.temporalClient, { project, environment: one.environment }, one.policy, Date.now() + SIGNAL_TIMEOUT_MS)),
    );
    const failed = sent.findIndex((result) => result.status === 'rejected');
    if (failed !== -1) {
      // Temporal is down or slow: the rest would fail alike, each after its timeout.
      const skipped = affected.length - start - batch.length;
      deps.logger.error(
        { err: (sent[failed] as PromiseRejectedResult).reason, project, environment: batch[failed]!.environment, skipped },
        "sending the changed policy to the environment's workflow failed; it applies the policy at its next load",
      );
      return;
    }
  }
}
