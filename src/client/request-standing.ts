// What an environment workflow's state says of one request. The log lists a bounded number of
// requests, so a request it no longer lists is judged by its receipt (the position the workflow
// gave it): past the last position forgotten for any other reason, it can only have been
// superseded, and that answer needs no search however many requests came after it.
import { MAX_REQUEST_LOG, releaseOutcome } from '../../workflows/decide.js';
import type { EnvironmentState, Release, RequestLogEntry, RequestOutcome, RequestReceipt } from '../../workflows/state.js';

/**
 * A request as the state tells of it: its log entry, or what its receipt says once the log no
 * longer lists it. `forgotten`: the workflow took it but can no longer say what became of it (the
 * environment's history in Postgres can).
 */
export interface RequestAnswer {
  requestId: string;
  outcome: RequestOutcome | 'forgotten';
  detail?: string;
  kind?: RequestLogEntry['kind'];
  position?: number;
  releaseSeq?: number;
}

export interface RequestStanding {
  request?: RequestAnswer;
  release?: Release;
}

/**
 * Where request `requestId` stands in `state`: nothing when the workflow has no word of it (not
 * arrived, another chain of runs, or no receipt to judge by).
 */
export function requestIn(state: EnvironmentState | undefined, requestId: string, receipt?: RequestReceipt): RequestStanding {
  if (!state) return {};
  const entry = state.requests.find((r) => r.requestId === requestId);
  if (entry) {
    const release = entry.releaseSeq !== undefined ? state.releases.find((r) => r.seq === entry.releaseSeq) : undefined;
    return { request: entry, release };
  }
  // A worker of code before positions answers without them; positions of another chain (a run
  // started afresh after one was terminated) count something else.
  if (!receipt || state.firstRunId === undefined || receipt.firstRunId !== state.firstRunId || receipt.position >= state.nextRequestPosition) return {};
  const { position } = receipt;
  if (position > state.forgottenThrough) {
    return {
      request: { requestId, position, outcome: 'superseded', detail: `superseded by a newer request (the environment's log lists only its newest ${MAX_REQUEST_LOG})` },
    };
  }
  const release = state.releases.find((r) => r.requestId === requestId && r.status !== 'in-progress');
  if (release) return { request: { requestId, position, outcome: releaseOutcome(release.status), releaseSeq: release.seq, detail: release.error }, release };
  return {
    request: {
      requestId,
      position,
      outcome: 'forgotten',
      detail: `older than the ${MAX_REQUEST_LOG} requests the environment's workflow remembers; its history (deployer history, GET …/history) tells what became of it`,
    },
  };
}

/** Whether a request's outcome is its last: anything but waiting or running. */
export function isFinal(outcome: RequestAnswer['outcome']): boolean {
  return outcome !== 'pending' && outcome !== 'running';
}
