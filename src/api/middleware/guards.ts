// The middleware chains of protected routes, in the order that makes the audit complete:
//   read:     authenticate → authorize
//   mutation: authenticate → audit → authorize → request id → body size → (validation) → handler
// Unauthenticated calls are not audited: there is no actor, and recording them would let anyone
// fill the audit table.
import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../../auth/scopes.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { auditMutation } from './audit.js';
import { authenticate } from './authenticate.js';
import { authorize } from './authorize.js';
import { limitBodyDepth } from './bounded-json.js';
import { limitBodySize } from './body-size.js';
import { resolveRequestId } from './request-id.js';

export interface Guards {
  read(scope: Scope): MiddlewareHandler<AppEnv>[];
  mutation(scope: Scope, auditAction: string): MiddlewareHandler<AppEnv>[];
}

export function createGuards(deps: ResolvedApiDeps): Guards {
  const authenticated = authenticate(deps.pool);
  return {
    read: (scope) => [authenticated, authorize(scope)],
    mutation: (scope, auditAction) => [authenticated, auditMutation(deps, auditAction), authorize(scope), resolveRequestId, limitBodySize, limitBodyDepth],
  };
}
