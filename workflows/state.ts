// The environment workflow's state: what it carries across continue-as-new and what the `state`
// query returns. Plain data, bounded in size.
import type { EnvironmentPolicy } from '../activities/types.js';
import type { ChangeAction } from '../src/domain/vocabulary.js';
import type { DeployRequest, RequestMeta, RollbackRequest } from './messages.js';

export type ReleaseAction = 'deploy' | 'rollback' | 'auto-rollback';
export type ReleaseStatus = 'in-progress' | 'healthy' | 'failed' | 'cancelled';

export interface Release {
  /** increases by one per deployment, across runs */
  seq: number;
  action: ReleaseAction;
  imageRef: string;
  /** the ops repo commit it was rendered from */
  opsSha?: string;
  valuesOverride?: Record<string, unknown>;
  manifestHash?: string;
  /** a pinned release always renders from opsSha (rollbacks); others follow the branch on drift */
  pinned: boolean;
  status: ReleaseStatus;
  requestId: string;
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

export type PendingRequest =
  | ({ kind: 'deploy'; receivedAt: number } & DeployRequest)
  | ({ kind: 'rollback'; receivedAt: number } & RollbackRequest)
  | ({ kind: 'stop'; receivedAt: number } & RequestMeta);

export type EnvironmentStatus =
  | 'new'
  | 'deploying'
  | 'healthy'
  | 'failed'
  | 'cancelled'
  | 'stopping'
  | 'stopped';

export type RequestOutcome = 'pending' | 'running' | 'healthy' | 'failed' | 'cancelled' | 'superseded' | 'stopped' | 'ignored';

export interface RequestLogEntry {
  requestId: string;
  kind: 'deploy' | 'rollback' | 'stop' | 'cancel';
  outcome: RequestOutcome;
  /**
   * the request's place in the order the workflow took requests in, across continue-as-new: the
   * log gives it when it first lists the request, and a later entry never changes it
   */
  position: number;
  /** the release it produced, when it produced one */
  releaseSeq?: number;
  detail?: string;
}

/** What a handler or a step logs of a request: the log gives it its position. */
export type RequestLogUpdate = Omit<RequestLogEntry, 'position'>;

/**
 * Where a request stands in the order of one chain of runs (the first run and those it continued
 * as new into): what lets a waiter tell a request the log no longer lists from one it never had.
 */
export interface RequestReceipt {
  position: number;
  /** the chain's first run: a run started afresh (after a terminated one) numbers from 1 again */
  firstRunId: string;
}

/** What the workflow answers a deploy sent as an update: taken (or known already), and where it stands. */
export interface RequestAcceptance extends RequestReceipt {
  requestId: string;
  /** `pending` for a new request; for an id the log lists already, what became of that request */
  outcome: RequestOutcome;
  /** the id was known already: nothing changed */
  duplicate: boolean;
}

export interface ReconcileWanted {
  /** when the first request since the last pass arrived */
  since: number;
  sources: Array<'ops-repo' | 'cluster'>;
  /** what was noticed, newest first, bounded */
  detail: string;
  opsSha?: string;
}

/** `check`: a drift pass's load, sync, render and apply in one activity */
export type Step = 'load' | 'sync' | 'render' | 'apply' | 'check' | 'health' | 'scale' | 'record';

export interface InFlight {
  requestId: string;
  kind: PendingRequest['kind'] | 'drift';
  step: Step;
  releaseSeq?: number;
  startedAt: number;
}

/** A decision on the request waiting for approval. */
export interface ApprovalVerdict {
  approved: boolean;
  by: string;
  /** workflow time */
  at: number;
  reason?: string;
}

/**
 * The pending request's wait for approval. The request keeps the pending slot while it waits, so a
 * newer request supersedes it as any pending request is superseded, and needs its own approval.
 */
export interface AwaitingApproval {
  requestId: string;
  kind: 'deploy' | 'rollback';
  requestedBy: string;
  since: number;
  expiresAt: number;
  /** the history row of the wait, which holds the preview's diff */
  historyKey: string;
  /** what the preview said the release would do, per action */
  summary: Record<ChangeAction, number>;
  /** the ops commit the preview rendered */
  opsSha: string;
  decision?: ApprovalVerdict;
}

/** Everything that survives continue-as-new. */
export interface CarriedState {
  policy: EnvironmentPolicy;
  status: EnvironmentStatus;
  stopped: boolean;
  /** the release the environment should run: drift re-applies it */
  desired?: Release;
  /** the release last seen healthy */
  current?: Release;
  /** newest first, bounded */
  releases: Release[];
  pending?: PendingRequest;
  lastStartedAt?: number;
  lastDriftAt?: number;
  lastDriftError?: string;
  /** a reconcile asked for since the last pass (changes noticed in the ops repo or the cluster) */
  reconcile?: ReconcileWanted;
  nextSeq: number;
  /**
   * most recently changed first, bounded: what became of each request (superseded, healthy, …).
   * Superseded entries make room first, so one burst of requests cannot push out those that ran.
   */
  requests: RequestLogEntry[];
  /** the position the next request the log takes gets */
  nextRequestPosition: number;
  /**
   * The highest position of a request dropped from the log that was not superseded (0: none).
   * A request of a later position that the log no longer lists was superseded.
   */
  forgottenThrough: number;
  /** runs of this workflow so far, this one included */
  run: number;
  /** the pending request's wait for approval, while it waits or once decided until it runs */
  approval?: AwaitingApproval;
  /** the pending request a freeze holds, once its hold was reported (it is reported once) */
  heldRequestId?: string;
}

export interface EnvironmentState extends CarriedState {
  project: string;
  environment: string;
  /** the first run of this chain of runs: a receipt's positions count within it */
  firstRunId: string;
  inFlight?: InFlight;
  nextDriftAt?: number;
  waitingFor: string;
}
