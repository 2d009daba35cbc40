// Writes the audit row of a mutation once its response is known, whatever became of it: accepted,
// refused (403, invalid input, unknown environment: 'rejected') or failed (5xx). It wraps the
// authorization and validation steps so refusals are recorded with the actor who tried. Routes
// whose caller proves itself in the handler (a signed webhook) name the actor once it has: a call
// that never did has no actor and is not recorded, like an unauthenticated one.
import type { MiddlewareHandler } from 'hono';
import { insertAuditEntry, type AuditOutcome } from '../../db/audit-log.js';
import { isSlug } from '../../domain/request-rules.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'accepted';
  return status < 500 ? 'rejected' : 'failed';
}

/** A path parameter only names a project or environment when it is a valid slug. */
function slugParam(value: string | undefined): string | null {
  return value !== undefined && isSlug(value) ? value : null;
}

export function auditMutation(deps: Pick<ResolvedApiDeps, 'pool' | 'now' | 'logger'>, action: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const actor = c.get('principal')?.name ?? c.get('auditActor');
    if (actor === undefined) return;
    const status = c.res.status;
    const error = c.get('apiError');
    const details: Record<string, unknown> = { method: c.req.method, path: c.req.path, status, ...c.get('auditDetails') };
    if (error) details.error = error;
    const rawProject = c.req.param('project');
    const rawEnvironment = c.req.param('env');
    if (rawProject !== undefined && slugParam(rawProject) === null) details.invalid_project = rawProject;
    if (rawEnvironment !== undefined && slugParam(rawEnvironment) === null) details.invalid_environment = rawEnvironment;
    try {
      await insertAuditEntry(deps.pool, {
        at: deps.now(),
        actor,
        action,
        project: slugParam(rawProject),
        environment: slugParam(rawEnvironment),
        requestId: c.get('requestId') ?? null,
        outcome: c.get('auditOutcome') ?? outcomeOf(status),
        details,
      });
    } catch (auditError) {
      // The mutation already happened (or was refused); answering 500 now would invite a retry
      // of something that worked. The missing row is reported loudly instead.
      deps.logger.error(
        { err: auditError, action, actor, method: c.req.method, path: c.req.path, status },
        'the audit row of a mutation could not be written',
      );
    }
  };
}
