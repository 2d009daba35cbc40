// How the dashboard writes the values it shows: commits short, times in UTC to the second with
// the exact instant in the markup, and a dash for what is not there.
import type { EnvironmentStatus } from '../../../workflows/state.js';

export const NONE = '—';

/** An ops commit as people quote it: its first 12 hex digits. */
export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : NONE;
}

export function Time(props: { at: Date | string | number | null | undefined }) {
  if (props.at === null || props.at === undefined) return <>{NONE}</>;
  const iso = new Date(props.at).toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`}</time>;
}

/** A status with its word always shown (colour only repeats it, for those who can tell colours apart). */
export function StatusBadge(props: { status: EnvironmentStatus | string; stopped?: boolean }) {
  const status = props.stopped && props.status !== 'stopping' ? 'stopped' : props.status;
  return <span class={`status status-${status.replace(/[^a-z-]/g, '')}`}>{status}</span>;
}
