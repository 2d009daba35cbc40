// What the environment workflow tells the worker process it runs on, outside its history: a sink
// call is no command and no event, so it costs Temporal nothing and replays without a patch.
import { proxySinks, type Sinks } from '@temporalio/workflow';

export interface EnvironmentSinks extends Sinks {
  environments: {
    /** whether a request now waits in the environment's pending slot (reported when that changes) */
    pending(waiting: boolean): void;
  };
}

export const { environments: environmentSink } = proxySinks<EnvironmentSinks>();
