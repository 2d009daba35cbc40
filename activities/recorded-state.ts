// loadRecordedState: what Postgres remembers of an environment, read by a workflow run that starts
// without carried state (its predecessor was terminated or failed), so rollback, drift and status
// go on from the record instead of from a blank release #1.
import { readRecordedState } from '../src/db/recorded-state.js';
import type { RecordedState, RecordedStateQuery } from '../src/domain/recorded-state.js';
import type { ActivityDeps } from './index.js';

export function createRecordedStateActivities({ pool }: Pick<ActivityDeps, 'pool'>) {
  return {
    loadRecordedState(query: RecordedStateQuery): Promise<RecordedState> {
      return readRecordedState(pool, query);
    },
  };
}
