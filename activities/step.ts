// How every step activity (load, sync, render, apply, scale) runs: heartbeating while it works,
// so a dead worker is replaced within seconds, and waiting out outages of its dependencies, with
// the outage in its heartbeat details so clients can say what the step is waiting for.
import { whileHeartbeating } from './keep-alive.js';
import { ridingOutOutages, type Outage } from './outages.js';

/** Heartbeat details of a step while it waits for a dependency. */
export interface StepHeartbeat {
  outage?: Outage;
}

export function runStep<T>(work: () => Promise<T>): Promise<T> {
  return whileHeartbeating((heartbeat) =>
    ridingOutOutages(work, {
      onOutage: (outage) => heartbeat.setDetails(outage ? ({ outage } satisfies StepHeartbeat) : undefined),
      sleep: (ms) => heartbeat.sleep(ms),
    }),
  );
}
