// Freeze windows in the API's snake_case and back. An environment's policy and its project's both
// carry windows, so both sides' names live here once. Validation stays validateFreezeWindows':
// this only renames, so its problems name the API's fields (`policy.freeze_windows[2].time_zone`)
// in the API's words.
import { formatDuration, validateFreezeWindows, type FreezeWindow } from './freeze-windows.js';
import { InvalidRequestError, type RequestProblem } from './request-rules.js';

/** A freeze window as a request body writes it (FreezeWindow in /openapi.json). */
export interface ApiFreezeWindow {
  kind?: 'recurring' | 'one-off';
  name: string;
  cron?: string;
  duration?: string | number;
  time_zone?: string;
  from?: string;
  until?: string;
  holds_rollbacks?: boolean;
}

/** The API's names that differ from FreezeWindowInput's; the others are the same. */
const STORED_NAME: Record<string, string> = { time_zone: 'timeZone', holds_rollbacks: 'holdsRollbacks' };

/** The API's name of a field validateFreezeWindows names, inside a field path or a message. */
function apiWords(text: string): string {
  return text.replace(/\btimeZone\b/g, 'time_zone').replace(/\bholdsRollbacks\b/g, 'holds_rollbacks');
}

function renamed(item: unknown): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [STORED_NAME[key] ?? key, value]));
}

/**
 * The windows `list` describes (in the API's names), validated and normalised; or every problem,
 * each naming its field under `field` (e.g. `policy.freeze_windows[0].cron`) in the API's names.
 */
export function freezeWindowsFromApi(list: unknown, field: string): { windows: FreezeWindow[] } | { errors: RequestProblem[] } {
  const result = validateFreezeWindows(Array.isArray(list) ? list.map(renamed) : list, field);
  if ('windows' in result) return result;
  return { errors: result.errors.map((problem) => ({ field: apiWords(problem.field), message: apiWords(problem.message) })) };
}

/** The windows of a body that passed the API's schema; what it would have refused throws an InvalidRequestError. */
export function checkedFreezeWindowsFromApi(list: unknown, field: string): FreezeWindow[] {
  const checked = freezeWindowsFromApi(list, field);
  if ('errors' in checked) throw new InvalidRequestError(checked.errors);
  return checked.windows;
}

/** A validated window as reads show it: durations as text ("62h"), instants in UTC. */
export function freezeWindowToApi(window: FreezeWindow) {
  const holds_rollbacks = window.holdsRollbacks ?? false;
  if (window.kind === 'recurring') {
    return { kind: window.kind, name: window.name, cron: window.cron, duration: formatDuration(window.duration), time_zone: window.timeZone, holds_rollbacks };
  }
  return { kind: window.kind, name: window.name, from: window.from, until: window.until, ...(window.timeZone === undefined ? {} : { time_zone: window.timeZone }), holds_rollbacks };
}
