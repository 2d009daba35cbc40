// The fleet page's filters, from its query string: project, status and a piece of text. A
// project-bound token sees its project only, whatever it asks for; anything malformed is a 400
// naming the parameter.
import { z } from 'zod';
import type { Principal } from '../../auth/find-token.js';
import { LIVE_PHASES } from '../../domain/live-status.js';
import { isSlug, SLUG_RULE } from '../../domain/request-rules.js';
import { ApiError, invalidRequest } from '../errors.js';
import { fieldIssues } from '../validation/zod-issues.js';

/** Every status the fleet shows, in the order the filter offers them. */
export const FLEET_STATUSES = LIVE_PHASES;

const MAX_TEXT = 200;
const blankIsAbsent = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const fleetQuery = z.object({
  project: z.preprocess(blankIsAbsent, z.string().refine(isSlug, SLUG_RULE).optional()),
  status: z.preprocess(blankIsAbsent, z.enum(FLEET_STATUSES, { error: `must be one of ${FLEET_STATUSES.join(', ')}` }).optional()),
  q: z.preprocess(blankIsAbsent, z.string().trim().max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`).optional()),
});

export type FleetQuery = z.output<typeof fleetQuery>;

export function parseFleetQuery(query: Record<string, string>, principal: Principal): FleetQuery {
  const parsed = fleetQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(fieldIssues(parsed.error, 'query'));
  const { project } = parsed.data;
  if (principal.project !== null && project !== undefined && project !== principal.project) {
    throw new ApiError(403, 'forbidden', `token "${principal.name}" is bound to project ${principal.project}, not ${project}`);
  }
  return { ...parsed.data, project: principal.project ?? project };
}
