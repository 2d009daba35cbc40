// The in-flight rollout, workload by workload: replicas updated and ready of those desired, as the
// health step last wrote them (src/api/rollout-in-flight.ts).
import type { RolloutProgress } from '../../domain/vocabulary.js';
import { describeRollout } from '../../client/describe-rollout.js';

export function RolloutProgressList(props: { workloads: RolloutProgress[] }) {
  if (props.workloads.length === 0) return null;
  return (
    <ul class="rollout">
      {props.workloads.map((workload) => (
        <li>{describeRollout(workload)}</li>
      ))}
    </ul>
  );
}
