// Freeze windows: the times an environment takes no deploys (and, if a window says so, no rollbacks).
// A window recurs (a cron expression read on a time zone's wall clock, plus a duration) or is a
// one-off range. Everything here is pure and deterministic, because the environment workflow asks
// it when a deploy may run and sleeps on a durable timer until then: it uses Date arithmetic and
// Intl only (no Node APIs), so it runs in the workflow sandbox as it runs in the API.
//
// Why a cron parser of our own rather than a package: the result sets durable timers of workflows
// that live for months, so what a gap or a repeated hour at a daylight-saving change means must
// be ours and must not move with a dependency upgrade; we need the latest start before an instant
// within a bounded look-back, not the next runs; a refusal must name the field and what it allows,
// in the same words as every other rule of the API; and nothing is added to the workflow bundle.
// Five fields of integers and names make a small parser.
//
// Daylight-saving rules (the choices cron implementations commonly make):
// - A start whose local time does not exist (02:30 Europe/Berlin on the last Sunday of March)
//   happens at the first instant after the gap (03:00 CEST), once.
// - A start whose local time happens twice (02:30 on the last Sunday of October) happens once, at
//   its first occurrence (02:30 CEST). So an hourly or every-minute schedule has no starts in the
//   repeated hour; give such windows a duration that covers it.
// - A duration is real elapsed time, not wall-clock time: `0 18 * * FRI` for 62h ends Monday 08:00
//   on an ordinary weekend, 07:00 when the clocks go back that weekend and 09:00 when they go
//   forward. To end at 08:00 on those weekends too, add a one-off range for each.
//
// Results depend on the time-zone rules in the ICU data of the running Node, as any scheduler's
// do; a workflow that sleeps until a freeze ends asks again when it wakes.
import { isSlug, SLUG_RULE, type RequestProblem } from './request-rules.js';

/** A freeze that recurs: it starts at every match of `cron` on `timeZone`'s clock and lasts `duration`. */
export interface RecurringFreezeWindow {
  kind: 'recurring';
  name: string;
  /** minute hour day-of-month month day-of-week, e.g. "0 18 * * FRI" */
  cron: string;
  /** milliseconds of real time from each start (validated from "62h", "1h30m" or a number) */
  duration: number;
  /** an IANA time zone name: the cron expression is read on its wall clock */
  timeZone: string;
  /** rollbacks wait for this window too; by default they pass (a rollback is how an incident ends) */
  holdsRollbacks?: boolean;
}

/** A freeze from one instant until another, e.g. over a holiday or a launch. */
export interface OneOffFreezeWindow {
  kind: 'one-off';
  name: string;
  /** ISO 8601 instant, validated to UTC ("2026-12-21T23:00:00.000Z"); the range includes it */
  from: string;
  /** ISO 8601 instant after `from`, validated to UTC; the range ends just before it */
  until: string;
  /** when set, a `from` or `until` without an offset is read on this zone's clock, and the end is shown in it */
  timeZone?: string;
  holdsRollbacks?: boolean;
}

export type FreezeWindow = RecurringFreezeWindow | OneOffFreezeWindow;

/**
 * What people write (in a policy, a request body): `kind` may be left out, it follows from the
 * fields; `duration` is "62h"-style text or milliseconds; `from`/`until` carry an offset ("Z",
 * "+01:00") unless the window has a `timeZone`. Validated windows are valid input again.
 */
export type FreezeWindowInput =
  | { kind?: 'recurring'; name: string; cron: string; duration: string | number; timeZone: string; holdsRollbacks?: boolean }
  | { kind?: 'one-off'; name: string; from: string; until: string; timeZone?: string; holdsRollbacks?: boolean };

/** The freeze in force at some instant, and when what was asked for may run. */
export interface ActiveFreeze {
  /** the window in force at that instant (of several, the one that lasts longest; then the first listed) */
  name: string;
  /** when every window in force then, and every window those run into, is over */
  untilMs: number;
  /** the zone of the window that ends last, to show `untilMs` in; absent for a one-off range without one */
  timeZone?: string;
}

/** Enough for a team's real calendar; each window is looked at on every deploy. */
export const MAX_FREEZE_WINDOWS = 20;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A window is at least a minute (cron's resolution) and at most a month: longer is a one-off range. */
export const MAX_FREEZE_DURATION_MS = 31 * DAY;
/**
 * How many times a freeze may be found to run into another (or its own next start) before the
 * answer is given as it stands: counted per step, not per pass over the windows, so twenty windows
 * that chain for ever answer within about a hundred days, not years.
 */
const MAX_CHAIN_STEPS = 100;
const MAX_CRON_LENGTH = 100;

// ---------------------------------------------------------------------------------------------
// Cron expressions

/** A parsed cron expression: for each field, which values match (indexed by value). */
interface CronSchedule {
  minutes: boolean[];
  hours: boolean[];
  daysOfMonth: boolean[];
  months: boolean[];
  /** 0 is Sunday (a 7 in the expression is stored as 0) */
  daysOfWeek: boolean[];
  /** false when the field is `*`: then only the other day field decides (see dayMatches) */
  daysOfMonthRestricted: boolean;
  daysOfWeekRestricted: boolean;
}

interface CronFieldSpec {
  label: string;
  min: number;
  max: number;
  /** names in the order of their values, starting at `min` */
  names?: readonly string[];
  /** how to say what a value may be */
  allowed: string;
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const CRON_FIELDS: readonly CronFieldSpec[] = [
  { label: 'minute', min: 0, max: 59, allowed: '0-59' },
  { label: 'hour', min: 0, max: 23, allowed: '0-23' },
  { label: 'day-of-month', min: 1, max: 31, allowed: '1-31' },
  { label: 'month', min: 1, max: 12, names: MONTH_NAMES, allowed: `1-12 or ${MONTH_NAMES.join(', ')}` },
  { label: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, allowed: `0-7 (0 and 7 are Sunday) or ${DAY_NAMES.slice(1).join(', ')}, SUN` },
];
const CRON_SHAPE = 'a cron expression has 5 fields: minute hour day-of-month month day-of-week (e.g. "0 18 * * FRI")';
const CRON_FIELD_SYNTAX = 'a field is *, a value, a range a-b, a step */n, a-b/n or a/n, or a list of these joined by ","';

/** One value of a field: a number or (month, day of week) a name, case-insensitive. */
function cronValue(token: string, spec: CronFieldSpec, endOfRange: boolean): number | string {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    return value >= spec.min && value <= spec.max ? value : `"${token}" is out of range: use ${spec.allowed}`;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index === -1) {
    const what = spec.names ? `not a ${spec.label === 'month' ? 'month' : 'day'}` : 'not a number';
    return /^[A-Za-z0-9]+$/.test(token) ? `"${token}" is ${what}: use ${spec.allowed}` : `"${token}" is not supported: ${CRON_FIELD_SYNTAX}`;
  }
  // SUN ends a range as 7, so FRI-SUN reads as it is meant.
  return spec.label === 'day-of-week' && endOfRange && index === 0 ? 7 : spec.min + index;
}

/** The values one field matches, or why it cannot be read. */
function cronField(text: string, spec: CronFieldSpec): boolean[] | string {
  const matches = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    const [range = '', step, ...extra] = item.split('/');
    if (item === '' || extra.length > 0 || range === '') return `"${text}" is not supported: ${CRON_FIELD_SYNTAX}`;
    let low: number | string = spec.min;
    let high: number | string = spec.max;
    if (range !== '*') {
      const [first = '', last, ...more] = range.split('-');
      if (more.length > 0 || first === '' || last === '') return `"${text}" is not supported: ${CRON_FIELD_SYNTAX}`;
      low = cronValue(first, spec, false);
      if (typeof low === 'string') return low;
      // "a/n" is "a-max/n", as most crons read it.
      high = last !== undefined ? cronValue(last, spec, true) : step !== undefined ? spec.max : low;
      if (typeof high === 'string') return high;
      if (low > high) return `range "${range}" runs backwards: ranges go from low to high (${spec.allowed}); split it into a list`;
    }
    let every = 1;
    if (step !== undefined) {
      every = /^\d+$/.test(step) ? Number(step) : 0;
      if (every < 1 || every > spec.max) return `step "/${step}" must be a whole number from 1 to ${spec.max}`;
    }
    for (let value = low; value <= high; value += every) matches[value] = true;
  }
  return matches;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The schedule `cron` describes, or why it cannot be read (naming the field and what it allows). */
function parseCron(cron: string): CronSchedule | string {
  if (cron.length > MAX_CRON_LENGTH) return `is longer than ${MAX_CRON_LENGTH} characters; ${CRON_SHAPE}`;
  const fields = cron.trim().split(/\s+/).filter((field) => field !== '');
  if (fields.length !== 5) return `${JSON.stringify(cron)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; ${CRON_SHAPE}`;
  const parsed: boolean[][] = [];
  for (const [index, spec] of CRON_FIELDS.entries()) {
    const field = cronField(fields[index]!, spec);
    if (typeof field === 'string') return `${spec.label} (field ${index + 1} of 5) ${field}`;
    parsed.push(field);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = parsed as [boolean[], boolean[], boolean[], boolean[], boolean[]];
  if (daysOfWeek[7]) daysOfWeek[0] = true;
  daysOfWeek.length = 7;
  const schedule: CronSchedule = {
    minutes, hours, daysOfMonth, months, daysOfWeek,
    daysOfMonthRestricted: fields[2] !== '*',
    daysOfWeekRestricted: fields[4] !== '*',
  };
  // "0 0 30 2 *" is well formed and never starts: a freeze that silently never happens is a trap.
  if (!schedule.daysOfWeekRestricted) {
    const someDay = months.some((month, m) => month && daysOfMonth.some((day, d) => day && d <= DAYS_IN_MONTH[m - 1]!));
    if (!someDay) return `${JSON.stringify(cron)} never matches: none of its months has any of its days of the month`;
  }
  return schedule;
}

/**
 * Cron's rule for the two day fields: when both are restricted a day matches either (OR), so
 * "0 12 13 * FRI" is every 13th and every Friday; when one is `*`, the other alone decides.
 * Only a literal `*` counts as unrestricted: Vixie cron also counts a step over `*` ("every
 * other day") so, which surprises; a step does restrict the days.
 */
function dayMatches(schedule: CronSchedule, dayOfMonth: number, dayOfWeek: number): boolean {
  const byMonthDay = schedule.daysOfMonth[dayOfMonth]!;
  const byWeekday = schedule.daysOfWeek[dayOfWeek]!;
  return schedule.daysOfMonthRestricted && schedule.daysOfWeekRestricted ? byMonthDay || byWeekday : byMonthDay && byWeekday;
}

function largestAtMost(matches: boolean[], value: number): number | undefined {
  for (let candidate = value; candidate >= 0; candidate--) if (matches[candidate]) return candidate;
  return undefined;
}

/**
 * The latest wall-clock minute at or before `wall`, and not before `lowest`, that the schedule
 * matches. Wall-clock times are local times written as if they were UTC instants, so plain Date
 * UTC arithmetic walks the calendar; the zone only comes in when a wall time becomes an instant.
 */
function previousMatch(schedule: CronSchedule, wall: number, lowest: number): number | undefined {
  let t = Math.floor(wall / MINUTE) * MINUTE;
  while (t >= lowest) {
    const date = new Date(t);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth();
    const day = date.getUTCDate();
    const hour = date.getUTCHours();
    if (!schedule.months[month + 1]) {
      t = Date.UTC(year, month, 1) - MINUTE;
      continue;
    }
    const matchingHour = dayMatches(schedule, day, date.getUTCDay()) ? largestAtMost(schedule.hours, hour) : undefined;
    if (matchingHour === undefined) {
      t = Date.UTC(year, month, day) - MINUTE;
      continue;
    }
    if (matchingHour < hour) {
      t = Date.UTC(year, month, day, matchingHour, 59);
      continue;
    }
    const matchingMinute = largestAtMost(schedule.minutes, date.getUTCMinutes());
    if (matchingMinute === undefined) {
      t = Date.UTC(year, month, day, hour) - MINUTE;
      continue;
    }
    const match = Date.UTC(year, month, day, hour, matchingMinute);
    return match >= lowest ? match : undefined;
  }
  return undefined;
}

const schedules = new Map<string, CronSchedule>();

/** A validated window's schedule, parsed once per expression. */
function scheduleOf(window: RecurringFreezeWindow): CronSchedule {
  let schedule = schedules.get(window.cron);
  if (!schedule) {
    const parsed = parseCron(window.cron);
    if (typeof parsed === 'string') throw new Error(`freeze window "${window.name}": cron ${parsed}; check windows with validateFreezeWindows first`);
    schedule = parsed;
    schedules.set(window.cron, schedule);
  }
  return schedule;
}

// ---------------------------------------------------------------------------------------------
// Time zones, through Intl alone

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // h23: some ICU versions write midnight as 24 with hour12: false.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time in `timeZone` at `instant` (to the second), written as if it were UTC. */
function wallClock(timeZone: string, instant: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour! % 24, fields.minute!, fields.second!);
}

/** How far `timeZone`'s clock is ahead of UTC at `instant`. */
function offsetAt(timeZone: string, instant: number): number {
  return wallClock(timeZone, instant) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant `timeZone`'s clock shows `wall`: the first of two when the clocks went back over it,
 * the end of the gap when they jumped over it. UTC offsets lie between -12h and +14h, so any
 * instant showing `wall` lies in [wall - 14h, wall + 12h]; the offsets just outside that span are
 * the only candidates (zones change offset months apart, never twice in a day).
 */
function instantOf(timeZone: string, wall: number): number {
  const byOffsetBefore = wall - offsetAt(timeZone, wall - 15 * HOUR);
  const byOffsetAfter = wall - offsetAt(timeZone, wall + 13 * HOUR);
  const earlier = Math.min(byOffsetBefore, byOffsetAfter);
  const later = Math.max(byOffsetBefore, byOffsetAfter);
  if (wallClock(timeZone, earlier) === wall) return earlier;
  if (wallClock(timeZone, later) === wall) return later;
  // In a gap: the clock jumped from before `wall` to after it between `earlier` and `later`.
  const offsetBeforeGap = offsetAt(timeZone, earlier);
  let low = earlier;
  let high = later;
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetAt(timeZone, middle) === offsetBeforeGap) low = middle;
    else high = middle;
  }
  return high;
}

/** Whether `timeZone` is a zone name this runtime knows, in its canonical spelling when only the case differs. */
function knownTimeZone(timeZone: string): string | undefined {
  // Intl also takes offsets ("+01:00") in newer runtimes; freeze windows follow a place's rules.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(timeZone)) return undefined;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Instants and durations as people write them

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/;
const INSTANT_RULE = 'must be an ISO 8601 date and time such as "2026-12-24T18:00:00Z" or "2026-12-24T18:00+01:00"';

/** The instant an ISO 8601 text names (read on `timeZone`'s clock when it has no offset), or why not. */
function parseInstant(text: unknown, timeZone: string | undefined): number | string {
  const match = typeof text === 'string' ? ISO_INSTANT.exec(text) : null;
  if (!match) return `${JSON.stringify(text)} ${INSTANT_RULE}`;
  const [, year, month, day, hour, minute, second = '0', fraction = '0', offset] = match;
  const milliseconds = Number(fraction.padEnd(3, '0'));
  const wall = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const date = new Date(wall);
  if (Number(year) < 1970 || date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    return `${JSON.stringify(text)} is not a real date and time after 1970`;
  }
  if (offset === 'Z') return wall + milliseconds;
  if (offset !== undefined) {
    const [hours, minutes] = offset.slice(1).split(':').map(Number) as [number, number];
    if (hours > 14 || minutes > 59) return `${JSON.stringify(text)} has an offset beyond ±14:00`;
    return wall + milliseconds - (offset.startsWith('-') ? -1 : 1) * (hours * HOUR + minutes * MINUTE);
  }
  if (timeZone === undefined) return `${JSON.stringify(text)} has no offset: add "Z" or one such as "+01:00", or give the window a timeZone to read it in`;
  return instantOf(timeZone, wall) + milliseconds;
}

const DURATION_TEXT = /^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,6})m)?$/;

/** What a duration may be, from 1 minute to `maxMs` (whole days). */
export function durationRule(maxMs: number): string {
  return `must be a duration such as "62h", "90m", "2d" or "1h30m" (days, hours, minutes, in that order) or a number of milliseconds, from 1 minute to ${maxMs / DAY} days`;
}

const DURATION_RULE = durationRule(MAX_FREEZE_DURATION_MS);

/**
 * The milliseconds a duration such as "62h" or "1h30m" (or a number of milliseconds) stands for,
 * or why it is not one from 1 minute to `maxMs`. Exported because an approval's expiry is written
 * the same way.
 */
export function parseDuration(value: unknown, maxMs = MAX_FREEZE_DURATION_MS): number | string {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) ms = value;
  if (typeof value === 'string' && value !== '') {
    const match = DURATION_TEXT.exec(value);
    if (match) ms = Number(match[1] ?? 0) * DAY + Number(match[2] ?? 0) * HOUR + Number(match[3] ?? 0) * MINUTE;
  }
  if (ms === undefined || ms < MINUTE || ms > maxMs) return `${JSON.stringify(value)} ${durationRule(maxMs)}`;
  return ms;
}

/** A duration as parseDuration reads it back ("2d14h", "90m" is "1h30m"); whole minutes only, milliseconds otherwise. */
export function formatDuration(ms: number): string | number {
  if (!Number.isSafeInteger(ms) || ms < MINUTE || ms % MINUTE !== 0) return ms;
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = (ms % HOUR) / MINUTE;
  return `${days ? `${days}d` : ''}${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Validation

const RECURRING_FIELDS = ['kind', 'name', 'cron', 'duration', 'timeZone', 'holdsRollbacks'];
const ONE_OFF_FIELDS = ['kind', 'name', 'from', 'until', 'timeZone', 'holdsRollbacks'];
const WINDOW_SHAPE = 'a recurring window {name, cron, duration, timeZone} or a one-off range {name, from, until}';
const TIME_ZONE_RULE = 'use an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC"';

/**
 * The freeze windows `input` describes, normalised (durations in milliseconds, ranges in UTC), or
 * every problem with it, each naming its field as `${field}[1].cron` and saying what is allowed.
 * An absent list is an empty one.
 */
export function validateFreezeWindows(input: unknown, field = 'freezeWindows'): { windows: FreezeWindow[] } | { errors: RequestProblem[] } {
  if (input === undefined) return { windows: [] };
  if (!Array.isArray(input)) return { errors: [{ field, message: `must be a list of freeze windows, each ${WINDOW_SHAPE}` }] };
  if (input.length > MAX_FREEZE_WINDOWS) return { errors: [{ field, message: `has ${input.length} windows; at most ${MAX_FREEZE_WINDOWS} are allowed` }] };
  const errors: RequestProblem[] = [];
  const windows: FreezeWindow[] = [];
  const firstWithName = new Map<string, number>();
  input.forEach((item: unknown, index) => {
    const at = `${field}[${index}]`;
    const problem = (name: string | undefined, message: string) => errors.push({ field: name === undefined ? at : `${at}.${name}`, message });
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return problem(undefined, `must be ${WINDOW_SHAPE}`);
    const raw = item as Record<string, unknown>;
    const before = errors.length;

    const kind = raw.kind ?? (raw.cron !== undefined ? 'recurring' : raw.from !== undefined || raw.until !== undefined ? 'one-off' : undefined);
    if (kind !== 'recurring' && kind !== 'one-off') {
      return problem(raw.kind === undefined ? undefined : 'kind', raw.kind === undefined ? `needs cron, duration and timeZone (a recurring window) or from and until (a one-off range)` : `${JSON.stringify(raw.kind)} must be "recurring" or "one-off"`);
    }
    const allowed = kind === 'recurring' ? RECURRING_FIELDS : ONE_OFF_FIELDS;
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) problem(key, `is not a field of a ${kind} window, which has ${allowed.join(', ')}${kind === 'recurring' ? ' (from and until make a one-off range)' : ' (cron and duration make a recurring window)'}`);
    }

    const name = raw.name;
    if (typeof name !== 'string' || !isSlug(name)) problem('name', `${JSON.stringify(name)} ${SLUG_RULE}`);
    else if (firstWithName.has(name)) problem('name', `"${name}" is also the name of ${field}[${firstWithName.get(name)}]: names must be unique`);
    else firstWithName.set(name, index);

    // The zone is read first (a range's local times need it) and reported in its place, after them.
    const timeZone = typeof raw.timeZone === 'string' ? knownTimeZone(raw.timeZone) : undefined;
    let zoneProblem: string | undefined;
    if (raw.timeZone === undefined) {
      if (kind === 'recurring') zoneProblem = `is required: the cron expression is read on this zone's clock; ${TIME_ZONE_RULE}`;
    } else if (timeZone === undefined) {
      zoneProblem = `${JSON.stringify(raw.timeZone)} is not a known time zone: ${TIME_ZONE_RULE}`;
    }
    let recurring: { cron: string; duration: number } | undefined;
    let range: { from: number; until: number } | undefined;
    if (kind === 'recurring') {
      const cron = typeof raw.cron === 'string' ? parseCron(raw.cron) : `is required: ${CRON_SHAPE}`;
      if (typeof cron === 'string') problem('cron', cron);
      const duration = parseDuration(raw.duration);
      if (typeof duration === 'string') problem('duration', raw.duration === undefined ? `is required: ${DURATION_RULE.replace('must be ', '')}` : duration);
      if (typeof cron !== 'string' && typeof duration !== 'string') recurring = { cron: (raw.cron as string).trim().split(/\s+/).join(' '), duration };
    } else {
      // A zone that failed its check is reported: read local times in UTC meanwhile, so the range's
      // own problems are still found and no complaint blames a missing zone.
      const readIn = timeZone ?? (raw.timeZone === undefined ? undefined : 'UTC');
      const from = parseInstant(raw.from, readIn);
      if (typeof from === 'string') problem('from', from);
      const until = parseInstant(raw.until, readIn);
      if (typeof until === 'string') problem('until', until);
      else if (typeof from === 'number' && until <= from) problem('until', `${JSON.stringify(raw.until)} must be after from (${JSON.stringify(raw.from)})`);
      else if (typeof from === 'number') range = { from, until };
    }
    if (zoneProblem) problem('timeZone', zoneProblem);
    if (raw.holdsRollbacks !== undefined && typeof raw.holdsRollbacks !== 'boolean') problem('holdsRollbacks', 'must be true or false');
    if (errors.length > before) return;

    const holdsRollbacks = raw.holdsRollbacks === true;
    if (recurring) windows.push({ kind: 'recurring', name: name as string, ...recurring, timeZone: timeZone!, holdsRollbacks });
    if (range) {
      windows.push({
        kind: 'one-off', name: name as string, from: new Date(range.from).toISOString(), until: new Date(range.until).toISOString(),
        ...(timeZone === undefined ? {} : { timeZone }), holdsRollbacks,
      });
    }
  });
  return errors.length > 0 ? { errors } : { windows };
}

// ---------------------------------------------------------------------------------------------
// Which freeze is in force, and until when

/**
 * When the occurrence of `window` that is in force at `instant` ends, or undefined when none is.
 * Occurrences of one window all last as long, so only the latest start at or before `instant`
 * can be the one in force; it is looked for no further back than the duration (plus a day, for
 * the offsets between wall-clock and real time).
 */
function coverEnd(window: FreezeWindow, instant: number): number | undefined {
  if (window.kind === 'one-off') {
    const from = parseInstant(window.from, window.timeZone);
    const until = parseInstant(window.until, window.timeZone);
    if (typeof from === 'string' || typeof until === 'string') throw new Error(`freeze window "${window.name}": ${typeof from === 'string' ? from : until}; check windows with validateFreezeWindows first`);
    return from <= instant && instant < until ? until : undefined;
  }
  const schedule = scheduleOf(window);
  const zone = window.timeZone;
  const lowest = instant - window.duration - DAY;
  // Starts are ordered as their wall times are (see instantOf), but after the clocks went back
  // (by at most 2h anywhere) wall times up to that much later than now's have already passed.
  let wall = previousMatch(schedule, instant + Math.max(offsetAt(zone, instant), offsetAt(zone, instant - 3 * HOUR)), lowest);
  while (wall !== undefined) {
    const start = instantOf(zone, wall);
    if (start <= instant) return instant < start + window.duration ? start + window.duration : undefined;
    wall = previousMatch(schedule, wall - MINUTE, lowest);
  }
  return undefined;
}

/**
 * The freeze in force at `nowMs` for a deploy or a rollback, or undefined when it may run now.
 * Rollbacks only wait for windows that hold rollbacks. When windows overlap or one ends as (or
 * after) another starts, the answer is when all of them are over. A chain that does not end (a
 * daily window longer than a day) is followed for a bounded number of steps; the workflow asks
 * again when it wakes. `windows` must have passed validateFreezeWindows.
 */
export function activeFreeze(windows: readonly FreezeWindow[], nowMs: number, kind: 'deploy' | 'rollback'): ActiveFreeze | undefined {
  const applying = kind === 'deploy' ? windows : windows.filter((window) => window.holdsRollbacks === true);
  let inForce: FreezeWindow | undefined;
  let untilMs = nowMs;
  for (const window of applying) {
    const end = coverEnd(window, nowMs);
    if (end !== undefined && end > untilMs) {
      inForce = window;
      untilMs = end;
    }
  }
  if (!inForce) return undefined;
  let endsLast = inForce;
  let steps = 0;
  for (let extended = true; extended && steps < MAX_CHAIN_STEPS; ) {
    extended = false;
    for (const window of applying) {
      const end = steps < MAX_CHAIN_STEPS ? coverEnd(window, untilMs) : undefined;
      if (end !== undefined) {
        untilMs = end;
        endsLast = window;
        extended = true;
        steps++;
      }
    }
  }
  return { name: inForce.name, untilMs, ...(endsLast.timeZone === undefined ? {} : { timeZone: endsLast.timeZone }) };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * What a deploy waits for, as the state query shows it: "freeze 'weekend' until Mon 08:00
 * Europe/Berlin", with the date when the end is more than 6 days away (a weekday alone would
 * read as this week), or the end in UTC for a one-off range without a zone.
 */
export function describeFreeze(freeze: ActiveFreeze, nowMs: number): string {
  if (freeze.timeZone === undefined) return `freeze '${freeze.name}' until ${new Date(freeze.untilMs).toISOString().replace('.000Z', 'Z')}`;
  const wall = new Date(wallClock(freeze.timeZone, freeze.untilMs));
  const text = wall.toISOString();
  const time = text.slice(17, 19) === '00' ? text.slice(11, 16) : text.slice(11, 19);
  const date = freeze.untilMs - nowMs > 6 * DAY ? ` ${text.slice(0, 10)}` : '';
  return `freeze '${freeze.name}' until ${WEEKDAYS[wall.getUTCDay()]}${date} ${time} ${freeze.timeZone}`;
}
