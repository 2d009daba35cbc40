// Long activities heartbeat while they work, so a worker that dies mid-step is noticed within
// the step's heartbeat timeout (seconds) and another worker takes it over, instead of Temporal
// waiting out the whole start-to-close timeout (minutes).
import { Context } from '@temporalio/activity';

/** How often a working activity says it is alive; well under every heartbeat timeout the workflow sets. */
export const KEEP_ALIVE_MS = 3_000;

/** What the work can tell its heartbeats: details the next ones carry (what it is waiting for). */
export interface Heartbeat {
  setDetails(details: unknown): void;
  /** sleeps `ms`, ending early with a cancellation when the activity is cancelled */
  sleep(ms: number): Promise<void>;
}

/** Runs `work`, heartbeating every few seconds until it settles (no heartbeats outside an activity). */
export async function whileHeartbeating<T>(work: (heartbeat: Heartbeat) => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    // called directly (a test or a script), not as an activity
    return work({ setDetails: () => undefined, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
  }
  let details: unknown;
  const timer = setInterval(() => context!.heartbeat(details), KEEP_ALIVE_MS);
  try {
    return await work({
      setDetails(next) {
        const changed = JSON.stringify(next) !== JSON.stringify(details);
        details = next;
        if (changed) context!.heartbeat(details); // people see a new wait at once, not at the next beat
      },
      sleep: (ms) => context!.sleep(ms),
    });
  } finally {
    clearInterval(timer);
  }
}
