// The environment's live status from the workflow's state: what the fleet shows while it happens
// (deploying and its step, waiting and for what), where the recorded state only changes once a
// release ends. Pure; the rules it reads are those of decide.ts and gates.ts.
import type { LiveStatus } from '../src/domain/live-status.js';
import { startDelay } from './decide.js';
import { gateVerdict } from './gates.js';
import type { CarriedState, InFlight } from './state.js';

export function liveStatus(state: Pick<CarriedState, 'status' | 'stopped' | 'pending' | 'lastStartedAt' | 'policy' | 'approval'>, inFlight: InFlight | undefined, now: number): LiveStatus {
  const at = now;
  if (inFlight?.kind === 'drift') return { phase: settled(state), detail: `drift pass, step ${inFlight.step}`, at };
  if (inFlight?.kind === 'stop') return { phase: 'stopping', detail: inFlight.step, at };
  if (inFlight) return { phase: 'deploying', detail: `${inFlight.kind}, step ${inFlight.step}`, at };
  const request = state.pending;
  if (request) {
    const delay = startDelay(state, request, now);
    if (delay > 0) return { phase: 'waiting', detail: 'minimum interval', until: now + delay, at };
    const verdict = gateVerdict(state, request, now);
    if (verdict.type === 'ask-approval') return { phase: 'waiting', detail: 'approval', at };
    if (verdict.type === 'await-approval') return { phase: 'waiting', detail: 'approval', until: verdict.until, at };
    if (verdict.type === 'frozen') return { phase: 'waiting', detail: `freeze '${verdict.freeze.name}'`, until: verdict.freeze.untilMs, at };
  }
  return { phase: settled(state), at };
}

function settled(state: Pick<CarriedState, 'status' | 'stopped'>): LiveStatus['phase'] {
  return state.stopped && state.status !== 'stopping' ? 'stopped' : state.status;
}

/** Two reports that say the same thing, whenever they were made. */
export function sameLiveStatus(a: LiveStatus | undefined, b: LiveStatus): boolean {
  return a !== undefined && a.phase === b.phase && a.detail === b.detail && a.until === b.until;
}
