// Freeze windows on their own: which freeze is in force at an instant and until when, on real
// time zones (Europe/Berlin: CET is UTC+1, CEST UTC+2; in 2026 summer time starts on Sunday
// 29 March at 01:00Z and ends on Sunday 25 October at 01:00Z), and what a window may be.
import { describe, expect, it } from 'vitest';
import { activeFreeze, describeFreeze, validateFreezeWindows, type FreezeWindow } from '../../src/domain/freeze-windows.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

function valid(input: unknown[]): FreezeWindow[] {
  const result = validateFreezeWindows(input);
  if ('errors' in result) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.windows;
}

function problems(input: unknown, field?: string) {
  const result = validateFreezeWindows(input, field);
  if ('windows' in result) throw new Error(`accepted: ${JSON.stringify(result.windows)}`);
  return result.errors;
}

const weekendInput = { name: 'weekend', cron: '0 18 * * FRI', duration: '62h', timeZone: 'Europe/Berlin' };
const weekend = valid([weekendInput]);

describe('a weekend freeze: 0 18 * * FRI for 62h, Europe/Berlin', () => {
  it('holds from Friday 18:00 to Monday 08:00 local on an ordinary winter weekend', () => {
    const frozen = { name: 'weekend', untilMs: at('2026-12-07T07:00:00Z'), timeZone: 'Europe/Berlin' };
    expect(activeFreeze(weekend, at('2026-12-04T16:59:59.999Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(weekend, at('2026-12-04T17:00:00Z'), 'deploy')).toEqual(frozen);
    expect(activeFreeze(weekend, at('2026-12-06T12:00:00Z'), 'deploy')).toEqual(frozen);
    expect(activeFreeze(weekend, at('2026-12-07T06:59:59Z'), 'deploy')).toEqual(frozen);
    expect(activeFreeze(weekend, at('2026-12-07T07:00:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(weekend, at('2026-12-08T12:00:00Z'), 'deploy')).toBeUndefined();
  });

  it('holds from Friday 18:00 to Monday 08:00 local in summer time', () => {
    expect(activeFreeze(weekend, at('2026-06-05T15:59:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(weekend, at('2026-06-05T16:00:00Z'), 'deploy')?.untilMs).toBe(at('2026-06-08T06:00:00Z'));
  });

  it('lasts 62 real hours when the clocks go back that weekend: it ends Monday 07:00 CET', () => {
    // Friday 23 October 18:00 CEST is 16:00Z; 62 hours later is Monday 26 October 06:00Z, 07:00 CET.
    const freeze = activeFreeze(weekend, at('2026-10-25T12:00:00Z'), 'deploy');
    expect(freeze).toEqual({ name: 'weekend', untilMs: at('2026-10-26T06:00:00Z'), timeZone: 'Europe/Berlin' });
    expect(freeze!.untilMs - at('2026-10-23T16:00:00Z')).toBe(62 * HOUR);
    expect(activeFreeze(weekend, at('2026-10-23T15:59:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(weekend, at('2026-10-26T06:00:00Z'), 'deploy')).toBeUndefined();
    expect(describeFreeze(freeze!, at('2026-10-25T12:00:00Z'))).toBe("freeze 'weekend' until Mon 07:00 Europe/Berlin");
  });

  it('lasts 62 real hours when the clocks go forward that weekend: it ends Monday 09:00 CEST', () => {
    // Friday 27 March 18:00 CET is 17:00Z; 62 hours later is Monday 30 March 07:00Z, 09:00 CEST.
    const freeze = activeFreeze(weekend, at('2026-03-29T12:00:00Z'), 'deploy');
    expect(freeze).toEqual({ name: 'weekend', untilMs: at('2026-03-30T07:00:00Z'), timeZone: 'Europe/Berlin' });
    expect(activeFreeze(weekend, at('2026-03-27T17:00:00Z'), 'deploy')?.untilMs).toBe(at('2026-03-30T07:00:00Z'));
    expect(activeFreeze(weekend, at('2026-03-30T06:30:00Z'), 'deploy')?.untilMs).toBe(at('2026-03-30T07:00:00Z'));
    expect(activeFreeze(weekend, at('2026-03-30T07:00:00Z'), 'deploy')).toBeUndefined();
    expect(describeFreeze(freeze!, at('2026-03-29T12:00:00Z'))).toBe("freeze 'weekend' until Mon 09:00 Europe/Berlin");
  });

  it('says what a deploy waits for in the zone of the window', () => {
    const now = at('2026-12-05T10:00:00Z');
    expect(describeFreeze(activeFreeze(weekend, now, 'deploy')!, now)).toBe("freeze 'weekend' until Mon 08:00 Europe/Berlin");
  });
});

describe('a nightly freeze across midnight: 0 22 * * * for 8h', () => {
  const nightly = valid([{ name: 'nightly', cron: '0 22 * * *', duration: '8h', timeZone: 'Europe/Berlin' }]);
  const newYork = valid([{ name: 'nightly', cron: '0 22 * * *', duration: 8 * HOUR, timeZone: 'America/New_York' }]);

  it('holds from 22:00 to 06:00 local, the hours after midnight included', () => {
    const until = at('2026-12-09T05:00:00Z');
    expect(activeFreeze(nightly, at('2026-12-08T20:59:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(nightly, at('2026-12-08T21:00:00Z'), 'deploy')?.untilMs).toBe(until);
    expect(activeFreeze(nightly, at('2026-12-08T23:00:00Z'), 'deploy')?.untilMs).toBe(until); // 00:00 on the 9th, local
    expect(activeFreeze(nightly, at('2026-12-09T02:00:00Z'), 'deploy')?.untilMs).toBe(until);
    expect(activeFreeze(nightly, at('2026-12-09T05:00:00Z'), 'deploy')).toBeUndefined();
  });

  it('reads the clock of its own zone, whatever the UTC date', () => {
    // 22:00 EST on 8 December is 03:00Z on the 9th.
    expect(activeFreeze(newYork, at('2026-12-09T02:59:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(newYork, at('2026-12-09T03:00:00Z'), 'deploy')?.untilMs).toBe(at('2026-12-09T11:00:00Z'));
    expect(activeFreeze(newYork, at('2026-12-09T10:59:00Z'), 'deploy')?.untilMs).toBe(at('2026-12-09T11:00:00Z'));
  });
});

describe('daylight-saving changes', () => {
  it('starts a window whose local start does not exist at the first instant after the gap', () => {
    // 02:30 does not exist on 29 March in Berlin (01:59:59 CET is followed by 03:00:00 CEST, 01:00Z).
    const windows = valid([{ name: 'early', cron: '30 2 * * *', duration: '1h', timeZone: 'Europe/Berlin' }]);
    expect(activeFreeze(windows, at('2026-03-28T01:30:00Z'), 'deploy')?.untilMs).toBe(at('2026-03-28T02:30:00Z'));
    expect(activeFreeze(windows, at('2026-03-29T00:59:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(windows, at('2026-03-29T01:00:00Z'), 'deploy')?.untilMs).toBe(at('2026-03-29T02:00:00Z'));
    expect(activeFreeze(windows, at('2026-03-29T02:00:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(windows, at('2026-03-30T00:30:00Z'), 'deploy')?.untilMs).toBe(at('2026-03-30T01:30:00Z'));
  });

  it('starts a window whose local start happens twice once, at the first', () => {
    // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET) on 25 October.
    const windows = valid([{ name: 'early', cron: '30 2 * * *', duration: '30m', timeZone: 'Europe/Berlin' }]);
    expect(activeFreeze(windows, at('2026-10-25T00:29:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(windows, at('2026-10-25T00:30:00Z'), 'deploy')?.untilMs).toBe(at('2026-10-25T01:00:00Z'));
    expect(activeFreeze(windows, at('2026-10-25T01:30:00Z'), 'deploy')).toBeUndefined();
    expect(activeFreeze(windows, at('2026-10-25T01:45:00Z'), 'deploy')).toBeUndefined();
  });

  it('reads a one-off range without an offset on its zone by the same rules', () => {
    const windows = valid([
      { name: 'gap', from: '2026-03-29T02:30', until: '2026-03-29T04:00', timeZone: 'Europe/Berlin' },
      { name: 'twice', from: '2026-10-25T02:30', until: '2026-10-25T04:00', timeZone: 'Europe/Berlin' },
    ]);
    expect(windows.map((w) => w.kind === 'one-off' && [w.from, w.until])).toEqual([
      ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
      ['2026-10-25T00:30:00.000Z', '2026-10-25T03:00:00.000Z'],
    ]);
  });
});

describe('windows that overlap or run into each other', () => {
  it('waits until the last of a chain is over: a weekend that runs into a Monday release freeze', () => {
    const windows = valid([weekendInput, { name: 'release', from: '2026-12-07T06:00:00Z', until: '2026-12-07T11:00:00Z' }]);
    const now = at('2026-12-05T10:00:00Z');
    const freeze = activeFreeze(windows, now, 'deploy');
    expect(freeze).toEqual({ name: 'weekend', untilMs: at('2026-12-07T11:00:00Z') });
    expect(describeFreeze(freeze!, now)).toBe("freeze 'weekend' until 2026-12-07T11:00:00Z");
    expect(activeFreeze(windows, at('2026-12-07T08:00:00Z'), 'deploy')).toEqual({ name: 'release', untilMs: at('2026-12-07T11:00:00Z') });
  });

  it('follows a range that ends just as the next starts, whatever their order, and stops at a gap', () => {
    const ranges = [
      { name: 'a', from: '2026-12-10T10:00:00Z', until: '2026-12-10T12:00:00Z' },
      { name: 'b', from: '2026-12-10T12:00:00Z', until: '2026-12-10T14:00:00Z' },
      { name: 'c', from: '2026-12-10T14:01:00Z', until: '2026-12-10T15:00:00Z' },
    ];
    for (const windows of [valid(ranges), valid([...ranges].reverse())]) {
      expect(activeFreeze(windows, at('2026-12-10T11:00:00Z'), 'deploy')).toEqual({ name: 'a', untilMs: at('2026-12-10T14:00:00Z') });
      expect(activeFreeze(windows, at('2026-12-10T14:00:30Z'), 'deploy')).toBeUndefined();
      expect(activeFreeze(windows, at('2026-12-10T14:01:00Z'), 'deploy')).toEqual({ name: 'c', untilMs: at('2026-12-10T15:00:00Z') });
    }
  });

  it('names the window in force that lasts longest, and ends in the zone of the one that ends last', () => {
    // The holidays end on Friday 1 January 2027 at 18:00 CET, as the weekend starts: it runs on to Monday.
    const windows = valid([weekendInput, { name: 'holidays', from: '2026-12-21T00:00', until: '2027-01-01T18:00', timeZone: 'Europe/Berlin' }]);
    const tuesday = at('2026-12-22T12:00:00Z');
    const freeze = activeFreeze(windows, tuesday, 'deploy');
    expect(freeze).toEqual({ name: 'holidays', untilMs: at('2027-01-04T07:00:00Z'), timeZone: 'Europe/Berlin' });
    expect(describeFreeze(freeze!, tuesday)).toBe("freeze 'holidays' until Mon 2027-01-04 08:00 Europe/Berlin");
    // On Saturday 26 December both are in force; the holidays last longer.
    expect(activeFreeze(windows, at('2026-12-26T12:00:00Z'), 'deploy')?.name).toBe('holidays');
  });

  it('gives a bounded answer for windows that never end (daily, 25h long): the caller asks again then', () => {
    const now = at('2026-12-05T10:00:00Z');
    const one = activeFreeze(valid([{ name: 'always', cron: '0 18 * * *', duration: '25h', timeZone: 'UTC' }]), now, 'deploy')!;
    expect(one.name).toBe('always');
    expect(one.untilMs).toBeGreaterThan(now + 24 * HOUR);
    expect(one.untilMs).toBeLessThan(now + 200 * 24 * HOUR);
    // Twenty of them, each running into the next: the steps are counted, not the passes over the list.
    const twenty = valid(Array.from({ length: 20 }, (_, i) => ({ name: `w${i}`, cron: `0 ${i} * * *`, duration: '25h', timeZone: 'Europe/Berlin' })));
    const all = activeFreeze(twenty, now, 'deploy')!;
    expect(all.untilMs).toBeGreaterThan(now + 24 * HOUR);
    expect(all.untilMs).toBeLessThan(now + 200 * 24 * HOUR);
  });
});

describe('rollbacks', () => {
  const windows = valid([
    weekendInput,
    { name: 'incident', from: '2026-12-05T09:00:00Z', until: '2026-12-05T15:00:00Z', holdsRollbacks: true },
    { name: 'christmas-eve', cron: '0 0 24 12 *', duration: '1d', timeZone: 'UTC', holdsRollbacks: true },
  ]);

  it('pass a window that does not hold them and wait for one that does', () => {
    expect(activeFreeze(windows, at('2026-12-05T10:00:00Z'), 'deploy')).toEqual({ name: 'weekend', untilMs: at('2026-12-07T07:00:00Z'), timeZone: 'Europe/Berlin' });
    expect(activeFreeze(windows, at('2026-12-05T10:00:00Z'), 'rollback')).toEqual({ name: 'incident', untilMs: at('2026-12-05T15:00:00Z') });
    expect(activeFreeze(windows, at('2026-12-05T16:00:00Z'), 'rollback')).toBeUndefined();
    expect(activeFreeze(windows, at('2026-12-05T16:00:00Z'), 'deploy')?.name).toBe('weekend');
    expect(activeFreeze(windows, at('2026-12-24T12:00:00Z'), 'rollback')).toEqual({ name: 'christmas-eve', untilMs: at('2026-12-25T00:00:00Z'), timeZone: 'UTC' });
  });
});

describe('cron expressions', () => {
  const active = (cron: string, iso: string) => activeFreeze(valid([{ name: 'w', cron, duration: '1h', timeZone: 'UTC' }]), at(iso), 'deploy') !== undefined;

  it('match either day field when both are restricted, and only the restricted one otherwise', () => {
    // 4 December 2026 is a Friday, 12 December a Saturday, 13 December a Sunday.
    expect(active('0 12 13 * FRI', '2026-12-04T12:30:00Z')).toBe(true);
    expect(active('0 12 13 * FRI', '2026-12-13T12:30:00Z')).toBe(true);
    expect(active('0 12 13 * FRI', '2026-12-12T12:30:00Z')).toBe(false);
    expect(active('0 12 13 * *', '2026-12-04T12:30:00Z')).toBe(false);
    expect(active('0 12 * * FRI', '2026-12-13T12:30:00Z')).toBe(false);
  });

  it('take names in any case, lists, ranges ending on SUN, 7 for Sunday and steps', () => {
    expect(active('0 22 * * fri-sun', '2026-12-06T22:30:00Z')).toBe(true);
    expect(active('0 22 * * FRI-SUN', '2026-12-07T22:30:00Z')).toBe(false);
    expect(active('0 0 * * 7', '2026-12-06T00:30:00Z')).toBe(true);
    expect(active('0 0 1,15 dec *', '2026-12-15T00:30:00Z')).toBe(true);
    expect(active('0 0 1,15 JAN-NOV *', '2026-12-15T00:30:00Z')).toBe(false);
    // Hours 9, 13 and 17; minutes 0, 20 and 40; Monday 7 December.
    expect(active('*/20 9-17/4 * * MON-FRI', '2026-12-07T13:45:00Z')).toBe(true); // the 13:40 start
    expect(active('*/20 9-17/4 * * MON-FRI', '2026-12-07T10:30:00Z')).toBe(true); // the 09:40 start, until 10:40
    expect(active('*/20 9-17/4 * * MON-FRI', '2026-12-07T12:45:00Z')).toBe(false); // no start since 09:40
    expect(active('*/20 9-17/4 * * MON-FRI', '2026-12-05T13:45:00Z')).toBe(false); // a Saturday
    expect(active('5/30 * * * *', '2026-12-07T12:04:00Z')).toBe(true); // 11:35 + 1h
  });
});

describe('validateFreezeWindows', () => {
  it('normalises what it accepts: durations in milliseconds, ranges in UTC, zones spelled canonically; the result is valid input', () => {
    const windows = valid([
      { name: 'weekend', cron: ' 0  18 * * FRI ', duration: '62h', timeZone: 'europe/berlin' },
      { name: 'launch', from: '2026-12-24T08:00+01:00', until: '2026-12-24T18:00:00.5Z', holdsRollbacks: true },
    ]);
    expect(windows).toEqual([
      { kind: 'recurring', name: 'weekend', cron: '0 18 * * FRI', duration: 62 * HOUR, timeZone: 'Europe/Berlin', holdsRollbacks: false },
      { kind: 'one-off', name: 'launch', from: '2026-12-24T07:00:00.000Z', until: '2026-12-24T18:00:00.500Z', holdsRollbacks: true },
    ]);
    expect(valid(windows)).toEqual(windows);
    expect(validateFreezeWindows(undefined)).toEqual({ windows: [] });
  });

  it.each([
    ['62h', 62 * HOUR],
    ['90m', 90 * 60_000],
    ['2d', 48 * HOUR],
    ['1h30m', 90 * 60_000],
    ['31d', 31 * 24 * HOUR],
    [3_600_000, HOUR],
  ])('reads the duration %j', (duration, ms) => {
    const [window] = valid([{ ...weekendInput, duration }]);
    expect(window).toMatchObject({ duration: ms });
  });

  it.each([
    ['61 * * * *', 'minute (field 1 of 5) "61" is out of range: use 0-59'],
    ['0 18 * * FRY', 'day-of-week (field 5 of 5) "FRY" is not a day: use 0-7 (0 and 7 are Sunday) or MON, TUE, WED, THU, FRI, SAT, SUN'],
    ['0 18 * FRI', '"0 18 * FRI" has 4 fields; a cron expression has 5 fields: minute hour day-of-month month day-of-week (e.g. "0 18 * * FRI")'],
    ['0 24 * * *', 'hour (field 2 of 5) "24" is out of range: use 0-23'],
    ['0 18 * JUNE *', 'month (field 4 of 5) "JUNE" is not a month: use 1-12 or JAN, FEB, MAR'],
    ['0 18 * * FRI-MON', 'day-of-week (field 5 of 5) range "FRI-MON" runs backwards'],
    ['0 18 L * *', 'day-of-month (field 3 of 5) "L" is not a number: use 1-31'],
    ['0 18 * * 5#3', 'day-of-week (field 5 of 5) "5#3" is not supported: a field is *, a value, a range a-b'],
    ['*/0 * * * *', 'minute (field 1 of 5) step "/0" must be a whole number from 1 to 59'],
    ['0 0 30 2 *', '"0 0 30 2 *" never matches'],
  ])('refuses the cron %j, naming the field and what it allows', (cron, message) => {
    expect(problems([{ ...weekendInput, cron }])).toEqual([{ field: 'freezeWindows[0].cron', message: expect.stringContaining(message) }]);
  });

  it.each(['Europe/Atlantis', '+01:00', 'CEST', ''])('refuses the time zone %j, saying what a zone is', (timeZone) => {
    expect(problems([{ ...weekendInput, timeZone }])).toEqual([
      { field: 'freezeWindows[0].timeZone', message: `${JSON.stringify(timeZone)} is not a known time zone: use an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC"` },
    ]);
  });

  it('needs a time zone to read a cron expression on', () => {
    const { timeZone: _, ...withoutZone } = weekendInput;
    expect(problems([withoutZone])).toEqual([{ field: 'freezeWindows[0].timeZone', message: expect.stringMatching(/^is required: .*IANA/) }]);
  });

  it.each(['62 hours', '1h 30m', '30m1h', '0m', '32d', '', 59_999, 1.5, -HOUR, null])('refuses the duration %j, saying what a duration is', (duration) => {
    expect(problems([{ ...weekendInput, duration }])).toEqual([
      { field: 'freezeWindows[0].duration', message: expect.stringContaining('must be a duration such as "62h", "90m", "2d" or "1h30m"') },
    ]);
  });

  it('refuses a range that ends before (or as) it starts, a date that does not exist, and a local time with no zone', () => {
    expect(problems([{ name: 'launch', from: '2026-12-24T18:00:00Z', until: '2026-12-24T08:00:00Z' }])).toEqual([
      { field: 'freezeWindows[0].until', message: '"2026-12-24T08:00:00Z" must be after from ("2026-12-24T18:00:00Z")' },
    ]);
    expect(problems([{ name: 'launch', from: '2026-12-24T18:00:00Z', until: '2026-12-24T19:00:00+01:00' }])[0]?.field).toBe('freezeWindows[0].until');
    expect(problems([{ name: 'launch', from: '2026-02-30T00:00:00Z', until: '2026-12-24T08:00' }])).toEqual([
      { field: 'freezeWindows[0].from', message: '"2026-02-30T00:00:00Z" is not a real date and time after 1970' },
      { field: 'freezeWindows[0].until', message: expect.stringContaining('has no offset: add "Z"') },
    ]);
    expect(problems([{ name: 'launch', from: 'tomorrow', until: '2026-12-24T08:00Z' }])).toEqual([
      { field: 'freezeWindows[0].from', message: expect.stringContaining('must be an ISO 8601 date and time') },
    ]);
  });

  it('refuses a name used twice, naming the second and the first', () => {
    expect(problems([weekendInput, { name: 'weekend', from: '2026-12-24T08:00:00Z', until: '2026-12-25T08:00:00Z' }])).toEqual([
      { field: 'freezeWindows[1].name', message: '"weekend" is also the name of freezeWindows[0]: names must be unique' },
    ]);
  });

  it.each(['Weekend', 'weekend freeze', '-weekend', 'x'.repeat(64), 42])('refuses the name %j', (name) => {
    expect(problems([{ ...weekendInput, name }])).toEqual([{ field: 'freezeWindows[0].name', message: expect.stringContaining('must be a slug') }]);
  });

  it('refuses more windows than a policy may hold, and input that is not a list of windows', () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ ...weekendInput, name: `w${i}` }));
    expect(problems(many)).toEqual([{ field: 'freezeWindows', message: 'has 21 windows; at most 20 are allowed' }]);
    expect(valid(many.slice(0, 20))).toHaveLength(20);
    expect(problems({ weekend: weekendInput })).toEqual([{ field: 'freezeWindows', message: expect.stringContaining('must be a list of freeze windows') }]);
    expect(problems([null])).toEqual([{ field: 'freezeWindows[0]', message: expect.stringContaining('must be a recurring window') }]);
    expect(problems([{ name: 'empty' }])).toEqual([{ field: 'freezeWindows[0]', message: 'needs cron, duration and timeZone (a recurring window) or from and until (a one-off range)' }]);
  });

  it('refuses fields a window does not have, mixed kinds and a holdsRollbacks that is not a boolean', () => {
    expect(problems([{ name: 'launch', from: '2026-12-24T08:00', until: '2026-12-24T18:00', timezone: 'Europe/Berlin' }])).toEqual([
      { field: 'freezeWindows[0].timezone', message: expect.stringContaining('is not a field of a one-off window, which has kind, name, from, until, timeZone, holdsRollbacks') },
      { field: 'freezeWindows[0].from', message: expect.stringContaining('has no offset') },
      { field: 'freezeWindows[0].until', message: expect.stringContaining('has no offset') },
    ]);
    expect(problems([{ ...weekendInput, from: '2026-12-24T08:00:00Z' }])).toEqual([
      { field: 'freezeWindows[0].from', message: expect.stringContaining('is not a field of a recurring window') },
    ]);
    expect(problems([{ ...weekendInput, kind: 'weekly' }])).toEqual([{ field: 'freezeWindows[0].kind', message: '"weekly" must be "recurring" or "one-off"' }]);
    expect(problems([{ ...weekendInput, holdsRollbacks: 'yes' }])).toEqual([{ field: 'freezeWindows[0].holdsRollbacks', message: 'must be true or false' }]);
  });

  it('reports every problem of every window at once, under the field name it is given', () => {
    const errors = problems([weekendInput, { ...weekendInput, name: 'nightly', cron: '0 22 * *', timeZone: 'Europe/Atlantis', duration: '8 hours' }], 'policy.freezeWindows');
    expect(errors.map((e) => e.field)).toEqual(['policy.freezeWindows[1].cron', 'policy.freezeWindows[1].duration', 'policy.freezeWindows[1].timeZone']);
  });
});

describe('describeFreeze', () => {
  it('shows the weekday and local time, the date when it is more than 6 days away, seconds only when there are some', () => {
    const now = at('2026-12-01T12:00:00Z');
    expect(describeFreeze({ name: 'weekend', untilMs: at('2026-12-07T07:00:00Z'), timeZone: 'Europe/Berlin' }, now)).toBe("freeze 'weekend' until Mon 08:00 Europe/Berlin");
    expect(describeFreeze({ name: 'weekend', untilMs: at('2026-12-07T12:00:01Z'), timeZone: 'Europe/Berlin' }, now)).toBe("freeze 'weekend' until Mon 2026-12-07 13:00:01 Europe/Berlin");
    expect(describeFreeze({ name: 'nightly', untilMs: at('2026-12-09T11:00:00Z'), timeZone: 'America/New_York' }, at('2026-12-09T04:00:00Z'))).toBe("freeze 'nightly' until Wed 06:00 America/New_York");
  });

  it('shows a one-off range without a zone in UTC', () => {
    expect(describeFreeze({ name: 'launch', untilMs: at('2026-12-24T18:00:00Z') }, at('2026-12-24T12:00:00Z'))).toBe("freeze 'launch' until 2026-12-24T18:00:00Z");
  });
});
