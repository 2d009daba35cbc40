// Who makes a request, as the shared request functions (deployment-requests.ts) take it, from the
// middleware chain's variables: the principal, the request id, and the audit row's details.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.js';
import type { Requester } from './deployment-requests.js';

export function requesterOf(c: Context<AppEnv>): Requester {
  return {
    principal: c.get('principal'),
    requestId: c.get('requestId'),
    noteAudit: (details) => c.set('auditDetails', { ...c.get('auditDetails'), ...details }),
  };
}
