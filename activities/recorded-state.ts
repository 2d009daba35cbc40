// loadRecordedState: what Postgres remembers of an environment, read by a workflow run that starts
// without carried state (its predecessor was terminated or failed), so rollback, drift and status
// go on from the record instead of from a blank release #1, and its gates (approval, freeze
// windows) hold from its first request, not only from its first load of the environment.
import { loadEffectivePolicy } from '../src/db/effective-policy.js';
import { readRecordedState } from '../src/db/recorded-state.js';
import type { RecordedState, RecordedStateQuery } from '../src/domain/recorded-state.js';
import type { ActivityDeps } from './index.js';
import { defaultPolicy } from './types.js';

export function createRecordedStateActivities({ pool, defaultPolicy: configured }: Pick<ActivityDeps, 'pool' | 'defaultPolicy'>) {
  return {
    async loadRecordedState(query: RecordedStateQuery): Promise<RecordedState> {
      const recorded = await readRecordedState(pool, query);
      const policy = await loadEffectivePolicy(pool, query.project, query.environment, configured ?? defaultPolicy);
      return policy ? { ...recorded, policy } : recorded;
    },
  };
}
