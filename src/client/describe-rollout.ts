// One workload's rollout in words, as the environment page and `deployer status` list it while the
// health step runs.
import type { RolloutProgress } from '../domain/vocabulary.js';

/** e.g. "Deployment web: 2 of 3 updated, 1 ready", and the controller's message when it has one. */
export function describeRollout(workload: RolloutProgress): string {
  const counts = `${workload.ref.kind} ${workload.ref.name}: ${workload.updated} of ${workload.desired} updated, ${workload.ready} ready`;
  if (workload.done) return `${counts} (done)`;
  return workload.message ? `${counts} (${workload.message})` : counts;
}
