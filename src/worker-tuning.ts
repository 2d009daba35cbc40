// Worker options shared by the real worker and the tests' workers.
import type { WorkerOptions } from '@temporalio/worker';
import { pendingRequestsTracker } from './observability/pending-requests.js';

export const workerTuning = {
  // Heartbeats carry cancellation back to an activity: flush them at least every second so a
  // stop or cancel reaches the wait for health within about a second, not 80 % of its timeout.
  maxHeartbeatThrottleInterval: '1 second',
  defaultHeartbeatThrottleInterval: '1 second',
  // What the environment workflows report to the process they run on: the pending-requests gauge,
  // and their live status, which only a worker with a database keeps (create-worker.ts).
  sinks: { environments: { ...pendingRequestsTracker.sinks().environments, live: { fn: () => undefined } } },
} satisfies Partial<WorkerOptions>;
