// Freeze windows in the API's names: validateFreezeWindows' problems renamed to the API's fields and
// words, and validated windows shown so that a read can be written back.
import { describe, expect, it } from 'vitest';
import { freezeWindowsFromApi, freezeWindowToApi } from '../../src/domain/freeze-window-names.js';
import { formatDuration, parseDuration } from '../../src/domain/freeze-windows.js';

describe('freeze windows in the API', () => {
  it("names a problem by the API's field and words", () => {
    expect(freezeWindowsFromApi([{ name: 'night', cron: '0 22 * * *', duration: '10h', time_zone: 'Nowhere/Land' }], 'policy.freeze_windows')).toEqual({
      errors: [{ field: 'policy.freeze_windows[0].time_zone', message: expect.stringContaining('"Nowhere/Land" is not a known time zone') }],
    });
    expect(freezeWindowsFromApi([{ name: 'x', from: '2026-12-24T00:00', until: '2026-12-25T00:00Z' }], 'freeze_windows')).toEqual({
      errors: [{ field: 'freeze_windows[0].from', message: expect.stringContaining('give the window a time_zone to read it in') }],
    });
  });

  it('shows a validated window so that it reads back as the same window', () => {
    const given = [
      { name: 'weekend', cron: '0 18 * * FRI', duration: '62h', time_zone: 'Europe/Berlin', holds_rollbacks: true },
      { name: 'holidays', from: '2026-12-24T00:00', until: '2027-01-02T00:00', time_zone: 'Europe/Berlin' },
    ];
    const checked = freezeWindowsFromApi(given, 'freeze_windows');
    if (!('windows' in checked)) throw new Error(JSON.stringify(checked.errors));
    const shown = checked.windows.map(freezeWindowToApi);
    expect(shown).toEqual([
      { kind: 'recurring', name: 'weekend', cron: '0 18 * * FRI', duration: '2d14h', time_zone: 'Europe/Berlin', holds_rollbacks: true },
      { kind: 'one-off', name: 'holidays', from: '2026-12-23T23:00:00.000Z', until: '2027-01-01T23:00:00.000Z', time_zone: 'Europe/Berlin', holds_rollbacks: false },
    ]);
    expect(freezeWindowsFromApi(shown, 'freeze_windows')).toEqual(checked);
  });

  it('writes durations as parseDuration reads them, bounded as the caller says', () => {
    for (const ms of [60_000, 90 * 60_000, 24 * 3_600_000, 62 * 3_600_000, 30 * 86_400_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(90_500)).toBe(90_500);
    expect(parseDuration('31d', 30 * 86_400_000)).toMatch(/from 1 minute to 30 days$/);
    expect(parseDuration('31d')).toBe(31 * 86_400_000);
  });
});
