// The messages an ops repository's poller understands, and what it carries across continue-as-new.
import { defineQuery, defineSignal } from '@temporalio/workflow';

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

export const pollNowSignal = defineSignal<[PollNowRequest]>('pollNow');
export const pollerStateQuery = defineQuery<OpsRepoPollerState>('state');

/** Reasons kept while a poll is wanted; a burst of pushes makes one poll, and the record stays small. */
export const MAX_WANTED_REASONS = 5;
const MAX_REASON_LENGTH = 200;

export function wantPoll(wanted: string[], reason: string): string[] {
  return [...wanted, reason.slice(0, MAX_REASON_LENGTH)].slice(-MAX_WANTED_REASONS);
}
