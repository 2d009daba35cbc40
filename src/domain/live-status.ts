// What an environment is doing right now, in the words the fleet shows: its workflow reports it on
// every change (workflows/live-status.ts), the worker keeps it in Postgres, and the dashboard reads
// it beside the recorded state. Plain data, a few dozen bytes per environment.

/** The phases an environment can be in, in the order the fleet's status filter offers them. */
export const LIVE_PHASES = ['healthy', 'deploying', 'waiting', 'failed', 'cancelled', 'stopping', 'stopped', 'new'] as const;
export type LivePhase = (typeof LIVE_PHASES)[number];

/** What a request waiting in the pending slot waits for before it starts. */
export type WaitReason = 'minimum interval' | 'approval' | 'freeze';

export interface LiveStatus {
  phase: LivePhase;
  /** deploying: the step in flight; waiting: what for; healthy and others: a drift pass under way */
  detail?: string;
  /** when the wait ends, when that is known (epoch ms): the end of the minimum interval or freeze, the approval's expiry */
  until?: number;
  /** workflow time of the report: a report never replaces a newer one (replays report old states) */
  at: number;
}

export function isLivePhase(value: string): value is LivePhase {
  return (LIVE_PHASES as readonly string[]).includes(value);
}

/** The status in one short phrase: "deploying: apply", "waiting: approval", "healthy". */
export function describeLiveStatus(status: Pick<LiveStatus, 'phase' | 'detail'>): string {
  return status.detail ? `${status.phase}: ${status.detail}` : status.phase;
}
