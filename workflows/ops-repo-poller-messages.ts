// The messages an ops repository's poller understands, and what it carries across continue-as-new.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface OpsRepoPollerInput {
  url: string;
  branch: string;
  /** what the previous run handed over at continue-as-new */
  carried?: PollerCarried;
}

export interface PollerCarried {
  /** the head the last poll saw: the next poll counts changes from it */
  lastSha?: string;
  intervalMs: number;
  /** poll-now reasons not served yet */
  wanted: string[];
}

/** Poll now instead of at the end of the interval: a push webhook arrived, or the repo was (re)registered. */
export interface PollNowRequest {
  /** for the record: "github push to main by alice (delivery 72d3…)" */
  reason: string;
}

/** What the `state` query answers. */
export interface OpsRepoPollerState {
  url: string;
  branch: string;
  lastSha?: string;
  /** ms since the epoch */
  lastPolledAt?: number;
  nextPollAt?: number;
  intervalMs: number;
  /** why the last poll failed; cleared by the next one that succeeds */
  lastError?: string;
  /** poll-now reasons waiting for the next poll */
  wanted: string[];
}

/** Poll now and answer with that poll's outcome: `deployer ops-repo sync` and the API's sync route. */
export interface SyncNowRequest {
  /** for the record, like a poll-now reason: "sync asked by alice through the API" */
  reason: string;
}

/**
 * The outcome of the first poll that started after a sync asked for it. A failure keeps whether
 * trying again may help: `retryable` false is the repository's fault (no such branch, no ops repo
 * uses the branch any more), true is the remote's or the worker's (unreachable, timed out).
 */
export type SyncNowResult =
  | { ok: true; sha: string; /** ms since the epoch */ polledAt: number }
  | { ok: false; retryable: boolean; error: string; polledAt: number };

export const pollNowSignal = defineSignal<[PollNowRequest]>('pollNow');
// An update, not a signal: the caller waits for the poll's answer, and Temporal tells it when no
// worker accepted the request (a signal would be recorded and wait silently for a worker).
export const syncNowUpdate = defineUpdate<SyncNowResult, [SyncNowRequest]>('syncNow');
export const pollerStateQuery = defineQuery<OpsRepoPollerState>('state');

/** Reasons kept while a poll is wanted; a burst of pushes makes one poll, and the record stays small. */
export const MAX_WANTED_REASONS = 5;
const MAX_REASON_LENGTH = 200;

export function wantPoll(wanted: string[], reason: string): string[] {
  return [...wanted, reason.slice(0, MAX_REASON_LENGTH)].slice(-MAX_WANTED_REASONS);
}
