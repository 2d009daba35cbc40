// The per-request variables the middleware chain hands to handlers.
import type { Principal } from '../auth/find-token.js';
import type { AuditOutcome } from '../db/audit-log.js';
import type { ErrorPayload } from './errors.js';

export interface AppEnv {
  /** what the server hands each request besides the request itself (none under `app.request` in tests) */
  Bindings: {
    /** aborted once the server is closing: an answer held open (wait_s) is given as it stands */
    closing?: AbortSignal;
  };
  Variables: {
    /** set by `authenticate` on every protected route */
    principal: Principal;
    /** the actor of the audit row on routes without a token: set once the caller proved itself (a signed webhook) */
    auditActor: string;
    /** set by `resolveRequestId` on mutating routes */
    requestId: string;
    /** what the handler wants recorded with the audit row of a mutation */
    auditDetails: Record<string, unknown>;
    /** overrides the outcome the audit row would derive from the status code */
    auditOutcome: AuditOutcome;
    /** the error the response carries, for the audit row */
    apiError: ErrorPayload;
  };
}
