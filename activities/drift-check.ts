// A drift pass's work in one activity: load the environment, then keep it scaled to zero when it is
// stopped, or sync, render and apply only what drifted. One activity instead of four keeps an idle
// environment's safety-net pass small in its history, and lets a pass the cluster watcher or the
// ops repo's poller asked for reach its apply after one trip through the task queue. It runs the
// same step activities a deploy runs one by one, so both do exactly the same work.
import { applyInput, renderInput, syncInput } from '../src/domain/release-steps.js';
import type { CheckDriftInput, CheckDriftResult, DeployerActivities } from './types.js';

type Steps = Pick<DeployerActivities, 'loadEnvironment' | 'syncOpsRepo' | 'renderManifests' | 'applyManifests' | 'scaleWorkloads'>;

export function createDriftCheckActivities(steps: Steps): Pick<DeployerActivities, 'checkDrift'> {
  return {
    async checkDrift({ ref, plan }: CheckDriftInput): Promise<CheckDriftResult> {
      const config = await steps.loadEnvironment(ref);
      if (plan.type === 'keep-stopped') {
        const { scaled } = await steps.scaleWorkloads({ ...ref, namespace: config.namespace, action: 'stop', impersonate: config.impersonate });
        return { type: 'keep-stopped', config, scaled };
      }
      const { sha } = await steps.syncOpsRepo(syncInput(config, plan.release, plan.knownHead));
      const rendered = await steps.renderManifests(renderInput(config, plan.release, sha));
      const applied = await steps.applyManifests(applyInput('drift', config, rendered.manifestHash));
      return { type: 'reapply', config, sha, rendered, applied };
    },
  };
}
