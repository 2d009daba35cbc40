// Which failures of a server-side apply are the user's to fix (non-retryable, with a message that
// says what to change) and which are transient. Everything not recognised here stays a plain
// error, which Temporal retries with backoff: 5xx, 429, timeouts, connection failures.
import type { ObjectRef } from '../domain/vocabulary.js';
import { KubeApiError } from './client.js';
import { describeRef } from './objects.js';
import { DeployerError, userError } from '../domain/errors.js';

export interface FieldConflict {
  manager: string;
  field: string;
}

/** The conflicting (manager, field) pairs of an SSA 409, read from the Status causes. */
export function fieldConflicts(error: KubeApiError): FieldConflict[] {
  return (error.status?.details?.causes ?? [])
    .filter((cause) => cause.reason === 'FieldManagerConflict')
    .map((cause) => ({
      manager: /conflict with "([^"]+)"/.exec(cause.message ?? '')?.[1] ?? cause.message ?? 'unknown manager',
      field: cause.field ?? '(unknown field)',
    }));
}

export function isFieldConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409 && fieldConflicts(error).length > 0;
}

/** Maps an error of applying `ref` to the failure the activity raises. */
export function applyFailure(error: unknown, ref: ObjectRef): unknown {
  if (!(error instanceof KubeApiError)) return error;
  const object = describeRef(ref);
  const conflicts = error.code === 409 ? fieldConflicts(error) : [];
  if (conflicts.length > 0) {
    const managers = [...new Set(conflicts.map((c) => c.manager))];
    const fields = conflicts.map((c) => `${c.field} (owned by "${c.manager}")`).join(', ');
    return userError(
      `${object}: field manager${managers.length > 1 ? 's' : ''} ${managers.map((m) => `"${m}"`).join(', ')} ` +
        `changed fields the deployer applies: ${fields}. ` +
        'Put the change into the ops repo, or enable forceConflicts to take the fields back.',
      'FieldConflict',
      { ref, managers, fields: conflicts.map((c) => c.field) },
    );
  }
  // The identity the environment applies as may not do this: RBAC is the last line, and retrying
  // will not change its answer. The server's message names the verb, resource and namespace.
  if (error.code === 403) {
    return userError(`${object}: Forbidden: ${error.status?.message ?? error.message}`, 'Forbidden');
  }
  // 400 (malformed) and 422 (invalid) fail the same way on every retry. So does a field the
  // schema lacks, although server-side apply reports that as a 500 ("failed to create typed patch
  // object … field not declared in schema"); retrying it would only delay the message.
  const schemaMismatch = error.code === 500 && (error.status?.message ?? '').startsWith('failed to create typed patch object');
  if (error.code === 400 || error.code === 422 || schemaMismatch) {
    const causes = (error.status?.details?.causes ?? [])
      .map((cause) => [cause.field, cause.message].filter(Boolean).join(': '))
      .filter(Boolean);
    const detail = causes.length > 0 ? causes.join('; ') : (error.status?.message ?? error.message);
    return userError(`${object} was rejected by the API server: ${detail}`, 'InvalidManifest');
  }
  error.message = `${object}: ${error.message}`;
  return error;
}

/**
 * The object exists and this environment neither created it nor was handed it: applying would take
 * over another environment's (or a person's) object, and the next prune could delete it.
 */
export function notOwnedFailure(ref: ObjectRef, reason: string): DeployerError {
  return userError(`${describeRef(ref)} was not applied: ${reason}`, 'ObjectNotOwned', { ref });
}
