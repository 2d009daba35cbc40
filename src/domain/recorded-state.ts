// What Postgres remembers of an environment, enough to rebuild its workflow's state when a run
// ended (terminated, failed) and a new one starts blank: the releases to roll back to, what runs
// now, whether it is stopped, and the policy it runs under.
import type { EnvironmentPolicy } from './vocabulary.js';

export type RecordedReleaseAction = 'deploy' | 'rollback' | 'auto-rollback';
export type RecordedReleaseStatus = 'healthy' | 'failed' | 'cancelled';

export interface RecordedRelease {
  /** its place among the environment's recorded releases, oldest = 1 */
  seq: number;
  action: RecordedReleaseAction;
  imageRef: string;
  opsSha?: string;
  manifestHash?: string;
  valuesOverride?: Record<string, unknown>;
  status: RecordedReleaseStatus;
  requestId: string;
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

export interface RecordedState {
  /** newest first, at most the limit asked for */
  releases: RecordedRelease[];
  /** how many releases were ever recorded: the next one is number releaseCount + 1 */
  releaseCount: number;
  stopped: boolean;
  /** history rows left in progress by the run that ended, now closed as failed */
  closedInProgress: number;
  /** the environment's effective policy (with its gates); absent when it is not registered */
  policy?: EnvironmentPolicy;
}

export interface RecordedStateQuery {
  project: string;
  environment: string;
  /** how many of the newest releases to return */
  limit: number;
}
