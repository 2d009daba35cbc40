// GET / for a signed-in user: the fleet, filtered by the query string. The environments come from
// one bounded query however many there are; the project menu from another, run beside it.
import type { Handler } from 'hono';
import { listFleet, listFleetProjects } from '../../db/fleet.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { parseFleetQuery } from './fleet-filter.js';
import { FleetView } from './fleet-view.js';
import { page } from './respond.js';

/** At most this many environments on one page; past it the page says to narrow the filters. */
export const FLEET_PAGE_LIMIT = 2_000;

export function fleetRoute(deps: Pick<ResolvedApiDeps, 'pool'>): Handler<AppEnv> {
  return async (c) => {
    const principal = c.get('principal');
    const query = parseFleetQuery(c.req.query(), principal);
    const [rows, projects] = await Promise.all([
      // One row more than shown tells whether there are more.
      listFleet(deps.pool, { project: query.project, status: query.status, text: query.q, limit: FLEET_PAGE_LIMIT + 1 }),
      listFleetProjects(deps.pool, principal.project ?? undefined),
    ]);
    return page(c, <FleetView principal={principal} query={query} projects={projects} rows={rows.slice(0, FLEET_PAGE_LIMIT)} truncated={rows.length > FLEET_PAGE_LIMIT} selfUrl={c.req.url.slice(new URL(c.req.url).origin.length)} />);
  };
}
