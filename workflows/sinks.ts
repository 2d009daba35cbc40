// What the environment workflow tells the worker process it runs on, outside its history: a sink
// call is no command and no event, so it costs Temporal nothing and replays without a patch.
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { LiveStatus } from '../src/domain/live-status.js';

export interface EnvironmentSinks extends Sinks {
  environments: {
    /** whether a request now waits in the environment's pending slot (reported when that changes) */
    pending(waiting: boolean): void;
    /** what the environment is doing now (reported when that changes): the dashboard's live feed */
    live(project: string, environment: string, status: LiveStatus): void;
  };
}

export const { environments: environmentSink } = proxySinks<EnvironmentSinks>();
