// Freeze windows in request bodies (an environment's policy, a project's) and in reads. The shape
// is checked here; what a window means (cron, zone, duration, range) by validateFreezeWindows, so
// the API refuses exactly what the workflow could not follow, naming the field.
import { z } from '@hono/zod-openapi';
import { freezeWindowsFromApi } from '../../domain/freeze-window-names.js';
import { MAX_FREEZE_WINDOWS } from '../../domain/freeze-windows.js';

const freezeWindow = z
  .strictObject({
    kind: z.enum(['recurring', 'one-off']).optional().openapi({ description: 'follows from the fields when left out: cron makes a recurring window, from and until a one-off range' }),
    name: z.string().openapi({ description: 'a slug, unique in the list; shown while a deploy waits for the window', example: 'weekend' }),
    cron: z.string().optional().openapi({
      description: 'recurring: when the window starts, as minute hour day-of-month month day-of-week read on time_zone\'s clock',
      example: '0 18 * * FRI',
    }),
    duration: z
      .union([z.string(), z.number().int()], { error: 'must be a duration such as "62h" or "1h30m", or a number of milliseconds' })
      .optional()
      .openapi({ description: 'recurring: how long each occurrence lasts, as "62h", "90m", "2d", "1h30m" or milliseconds (1 minute to 31 days)', example: '62h' }),
    time_zone: z.string().optional().openapi({
      description: 'an IANA time zone: required for a recurring window; for a one-off range, the zone its from and until are read in when they carry no offset',
      example: 'Europe/Berlin',
    }),
    from: z.string().optional().openapi({ description: 'one-off: the first instant of the range (ISO 8601)', example: '2026-12-21T00:00:00+01:00' }),
    until: z.string().optional().openapi({ description: 'one-off: the instant the range ends, after from (ISO 8601)', example: '2027-01-04T08:00:00+01:00' }),
    holds_rollbacks: z.boolean().optional().openapi({ description: 'rollbacks wait for this window too (default false: a rollback is how an incident ends)' }),
  })
  .openapi('FreezeWindow', {
    description: 'when deploys wait: a recurring window (name, cron, duration, time_zone) or a one-off range (name, from, until)',
  });

/** Where in the body the list is, as a field path ("policy.freeze_windows"): problems are named under it. */
export function freezeWindowList(field: string) {
  return z
    .array(freezeWindow)
    .superRefine((list, ctx) => {
      const checked = freezeWindowsFromApi(list, field);
      if ('windows' in checked) return;
      for (const problem of checked.errors) {
        // "policy.freeze_windows[2].time_zone" → [2, "time_zone"], relative to the list.
        const [, index, key] = /^\[(\d+)\](?:\.(.+))?$/.exec(problem.field.slice(field.length)) ?? [];
        const path = index === undefined ? [] : key === undefined ? [Number(index)] : [Number(index), key];
        ctx.addIssue({ code: 'custom', path, message: problem.message });
      }
    })
    .openapi({ description: `when deploys (and, per window, rollbacks) wait; at most ${MAX_FREEZE_WINDOWS}` });
}

/** A window as reads show it: kind spelled out, durations as text, instants in UTC. */
export const freezeWindowState = z
  .object({
    kind: z.enum(['recurring', 'one-off']),
    name: z.string(),
    cron: z.string().optional(),
    duration: z.union([z.string(), z.number()]).optional().openapi({ description: 'as "2d14h" (or milliseconds, when not whole minutes)', example: '2d14h' }),
    time_zone: z.string().optional(),
    from: z.string().optional().openapi({ description: 'UTC', example: '2026-12-20T23:00:00.000Z' }),
    until: z.string().optional().openapi({ description: 'UTC', example: '2027-01-04T07:00:00.000Z' }),
    holds_rollbacks: z.boolean(),
  })
  .openapi('FreezeWindowState');
