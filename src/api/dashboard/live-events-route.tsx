// GET /dashboard/events: the dashboard's live updates as server-sent events. The fleet's stream
// sends, for each change a workflow reports (through the API's one LISTEN connection, live-feed.ts),
// the rows of the changed environments the session may read, each replacing its own row in the
// page; an environment page's stream sends `changed` when that environment changes, and the page
// reads its live sections again. `resync` follows a gap (a broken feed, or a stream the browser
// reconnected), when notices may have been missed. The rows of one notice are read once for all
// streams. A stream ends after STREAM_LIFETIME_MS and the browser reconnects through the session
// check again, so a revoked token stops receiving within that time.
import type { Handler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Principal } from '../../auth/find-token.js';
import { findFleetRows, type FleetRow } from '../../db/fleet.js';
import { isSlug, SLUG_RULE } from '../../domain/request-rules.js';
import type { EnvironmentRef } from '../../domain/vocabulary.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError, invalidRequest } from '../errors.js';
import { liveFeedFor, type LiveChange } from '../live-feed.js';
import { fieldIssues } from '../validation/zod-issues.js';
import { FleetRowUpdates } from './fleet-view.js';

const STREAM_LIFETIME_MS = 5 * 60_000;
// A comment line now and then keeps proxies from closing a quiet stream and finds dead clients.
const KEEP_ALIVE_MS = 25_000;

const slug = z.string().refine(isSlug, SLUG_RULE).optional();
const eventsQuery = z.object({ project: slug, env: slug }).refine((query) => !query.env || query.project, { message: 'env needs project', path: ['env'] });

export interface LiveEventsFilter {
  project?: string;
  environment?: string;
}

export function parseLiveEventsQuery(query: Record<string, string>, principal: Principal): LiveEventsFilter {
  const parsed = eventsQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(fieldIssues(parsed.error, 'query'));
  const { project, env } = parsed.data;
  if (principal.project !== null && project !== undefined && project !== principal.project) {
    throw new ApiError(403, 'forbidden', `token "${principal.name}" is bound to project ${principal.project}, not ${project}`);
  }
  return { project: project ?? principal.project ?? undefined, environment: env };
}

/** Whether a stream with this filter shows `ref`. */
export function showsEnvironment(filter: LiveEventsFilter, ref: EnvironmentRef): boolean {
  return (filter.project === undefined || ref.project === filter.project) && (filter.environment === undefined || ref.environment === filter.environment);
}

// The rows of a notice, read once however many streams show them.
const rowsOfChange = new WeakMap<LiveChange, Promise<FleetRow[]>>();

export function liveEventsRoute(deps: Pick<ResolvedApiDeps, 'pool'>): Handler<AppEnv> {
  const feed = liveFeedFor(deps.pool);
  const rowsOf = (change: Extract<LiveChange, { type: 'changed' }>) => {
    let rows = rowsOfChange.get(change);
    if (!rows) {
      rows = findFleetRows(deps.pool, change.refs);
      rowsOfChange.set(change, rows);
    }
    return rows;
  };
  return (c) => {
    const filter = parseLiveEventsQuery(c.req.query(), c.get('principal'));
    // The browser sends the last event's id when it reconnects: something may have been missed.
    const reconnected = c.req.header('Last-Event-ID') !== undefined;
    c.header('Cache-Control', 'no-store');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const queue: LiveChange[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = feed.subscribe((change) => {
        queue.push(change);
        wake?.();
      });
      stream.onAbort(() => wake?.());
      const endsAt = Date.now() + STREAM_LIFETIME_MS;
      let sent = 0;
      const send = (event: string, data: string) => stream.writeSSE({ event, data, id: `${Date.now()}-${(sent += 1)}` });
      try {
        await send(reconnected ? 'resync' : 'ready', '');
        while (!stream.aborted && Date.now() < endsAt) {
          if (queue.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, Math.min(KEEP_ALIVE_MS, Math.max(0, endsAt - Date.now()))).unref();
            });
            wake = undefined;
            if (queue.length === 0) {
              if (!stream.aborted) await stream.write(': keep-alive\n\n');
              continue;
            }
          }
          const changes = queue.splice(0);
          if (changes.some((change) => change.type === 'resync')) {
            await send('resync', '');
            continue;
          }
          const changed = changes.flatMap((change) => (change.type === 'changed' ? [change] : []));
          if (filter.environment !== undefined) {
            if (changed.some((change) => change.refs.some((ref) => showsEnvironment(filter, ref)))) await send('changed', '');
            continue;
          }
          const rows = (await Promise.all(changed.filter((change) => change.refs.some((ref) => showsEnvironment(filter, ref))).map(rowsOf)))
            .flat()
            .filter((row) => showsEnvironment(filter, row));
          if (rows.length > 0) await send('fleet', String(await (<FleetRowUpdates rows={rows} />)));
        }
      } finally {
        unsubscribe();
      }
    });
  };
}
