// The poller of an ops repository branch: one per URL and branch however many ops repo rows (with
// different paths) share them, so a branch is fetched once per interval, not once per environment.
// Plain constants and rules: the workflow imports them too.

/** Polls of one run of a poller before it continues as new, keeping its history short. */
export const POLLS_PER_RUN = 100;

/** How often a branch is polled when no row says otherwise (ops_repos.sync_interval_s default). */
export const DEFAULT_POLL_INTERVAL_MS = 60_000;

/** The rows sharing a branch are polled as often as the most eager of them asks. */
export function pollIntervalMs(syncIntervalsS: number[]): number {
  return syncIntervalsS.length === 0 ? DEFAULT_POLL_INTERVAL_MS : Math.min(...syncIntervalsS) * 1000;
}
