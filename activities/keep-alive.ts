// Long activities heartbeat while they work, so a worker that dies mid-step is noticed within
// the step's heartbeat timeout (seconds) and another worker takes it over, instead of Temporal
// waiting out the whole start-to-close timeout (minutes).
import { Context } from '@temporalio/activity';

/** How often a working activity says it is alive; well under every heartbeat timeout the workflow sets. */
export const KEEP_ALIVE_MS = 3_000;

/** Runs `work`, heartbeating every few seconds until it settles (a no-op outside an activity). */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return work(); // called directly (a test or a script), not as an activity
  }
  const timer = setInterval(() => context!.heartbeat(), KEEP_ALIVE_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
