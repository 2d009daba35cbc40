// Scope and project checks. A project-bound token works only on routes of its project; the admin
// routes (ops repos) are shared by all projects, so they need a global token.
import type { MiddlewareHandler } from 'hono';
import { grantsScope, type Scope } from '../../auth/scopes.js';
import type { AppEnv } from '../app-env.js';
import { ApiError } from '../errors.js';

export function authorize(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!grantsScope(principal.scopes, scope)) {
      throw new ApiError(403, 'forbidden', `token "${principal.name}" lacks the scope ${scope}`);
    }
    if (principal.project !== null) {
      const project = c.req.param('project');
      if (project === undefined) {
        throw new ApiError(403, 'forbidden', `token "${principal.name}" is bound to project ${principal.project}; this route needs a global token`);
      }
      if (project !== principal.project) {
        throw new ApiError(403, 'forbidden', `token "${principal.name}" is bound to project ${principal.project}, not ${project}`);
      }
    }
    await next();
  };
}
