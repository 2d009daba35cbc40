// What the environment workflow says about itself: the state query's answer, the sentence that
// says what it waits for, and the Temporal UI's current details. Text only; the rules it reads
// live in decide.ts.
import { nextDriftAt, startDelay, unhealthyDesired } from './decide.js';
import { APPROVER_SCOPE, describeGate } from './gates.js';
import { describeSummary } from '../src/domain/release-preview.js';
import type { ChangeSetEntry } from '../activities/types.js';
import type { CarriedState, EnvironmentState, InFlight, ReconcileWanted, Release } from './state.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A sentence saying what the workflow waits for: the answer to "why isn't it deploying?". */
export function describeWaitingFor(
  state: Pick<CarriedState, 'pending' | 'lastStartedAt' | 'lastDriftAt' | 'policy' | 'stopped' | 'desired' | 'current' | 'status' | 'reconcile' | 'approval'>,
  inFlight: InFlight | undefined,
  now: number,
): string {
  if (inFlight) {
    const what = inFlight.kind === 'drift' ? 'drift pass' : `${inFlight.kind} ${inFlight.requestId}`;
    return `deployment in flight: ${what}, step ${inFlight.step}`;
  }
  if (state.pending) {
    const delay = startDelay(state, state.pending, now);
    if (delay > 0) return `minimum interval until ${iso(now + delay)} before ${state.pending.kind} ${state.pending.requestId}`;
    const gate = describeGate(state, state.pending, now);
    if (gate) return gate;
    return `starting ${state.pending.kind} ${state.pending.requestId}`;
  }
  if (state.reconcile) return `reconcile pass starting: ${state.reconcile.detail}`;
  if (state.stopped) return 'stopped: a deploy resumes the environment';
  if (!state.desired) return 'no release yet: waiting for a deploy';
  const failed = unhealthyDesired(state);
  if (failed) {
    const why = failed.error ? ` (${failed.error})` : '';
    const kept = state.current
      ? `drift passes keep release #${state.current.seq} (${state.current.imageRef}) in place until then`
      : 'nothing healthy is applied until then';
    return `desired release #${failed.seq} (${failed.imageRef}) ${failed.status}${why}: deploy a fixed release or roll back; ${kept}`;
  }
  return `idle: next safety-net drift pass at ${iso(nextDriftAt(state, now))}, sooner on a change in the ops repo or the cluster`;
}

/** The query answer: the carried state plus what is happening right now. */
export function describeState(
  identity: { project: string; environment: string; firstRunId: string },
  state: CarriedState,
  inFlight: InFlight | undefined,
  now: number,
): EnvironmentState {
  return {
    ...identity,
    ...state,
    inFlight,
    nextDriftAt: state.desired || state.stopped ? nextDriftAt(state, now) : undefined,
    waitingFor: describeWaitingFor(state, inFlight, now),
  };
}

/** A short Markdown summary for the Temporal UI's current details. */
export function currentDetailsMarkdown(state: EnvironmentState): string {
  const release = (r?: Release) => (r ? `\`${r.imageRef}\` (#${r.seq}, ${r.status}${r.opsSha ? `, ops ${r.opsSha.slice(0, 8)}` : ''})` : '—');
  return [
    `**${state.project}/${state.environment}** — ${state.status}${state.stopped ? ' (stopped)' : ''}`,
    `- desired: ${release(state.desired)}`,
    `- current: ${release(state.current)}`,
    `- waiting for: ${state.waitingFor}`,
    state.pending ? `- pending: ${state.pending.kind} ${state.pending.requestId}` : undefined,
    state.approval && !state.approval.decision
      ? `- awaiting approval (${APPROVER_SCOPE}): ${state.approval.kind} ${state.approval.requestId} by ${state.approval.requestedBy} would change ${describeSummary(state.approval.summary)} (ops ${state.approval.opsSha.slice(0, 8)})`
      : undefined,
  ]
    .filter((line) => line !== undefined)
    .join('\n');
}

/** Who a drift pass acts for in the record: the deployer, and what told it to look. */
export function driftRequestedBy(trigger: Pick<ReconcileWanted, 'sources'> | undefined): string {
  return trigger ? `deployer (${trigger.sources.join(', ')})` : 'deployer';
}

/** The reason on a drift correction's row: where the ops repo moved, what changed, what was noticed. */
export function driftCorrectionReason(movedTo: string | undefined, changes: ChangeSetEntry[], noticed: string[]): string {
  const changed = changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.ref.kind}/${c.ref.name}`);
  return [movedTo ? `ops repo moved to ${movedTo.slice(0, 8)}` : undefined, ...changed, ...noticed].filter(Boolean).join('; ');
}
