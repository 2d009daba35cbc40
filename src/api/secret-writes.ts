// What the routes that write secrets share: a refusal before anything is stored when the server
// has no keys to seal them with, and the API's word for the store's refusals.
import { SecretsNeedKeys, TooManySecrets } from '../db/environment-secrets.js';
import type { SecretChanges } from '../domain/secrets.js';
import type { ResolvedApiDeps } from './deps.js';
import { invalidRequest } from './errors.js';

const NEEDS_KEYS =
  'secrets: this server has no DEPLOYER_PAYLOAD_KEYS to encrypt secrets with, and never stores them in plaintext; set DEPLOYER_PAYLOAD_KEYS (the same keys on the API server and every worker)';

/** Refuses secret values (deletions need no key) when the server cannot seal them. */
export function assertCanSealSecrets(deps: Pick<ResolvedApiDeps, 'payloadKeys'>, changes: SecretChanges | undefined, field = 'secrets'): void {
  if (deps.payloadKeys !== null || changes === undefined) return;
  if (Object.values(changes).some((value) => value !== null)) throw invalidRequest([{ field, message: NEEDS_KEYS.replace(/^secrets/, field) }]);
}

/** The store's refusals of a write of secrets as 400s naming the field; anything else as it is. */
export function secretWriteError(error: unknown): unknown {
  if (error instanceof SecretsNeedKeys) return invalidRequest([{ field: 'secrets', message: NEEDS_KEYS }]);
  if (error instanceof TooManySecrets) return invalidRequest([{ field: 'secrets', message: `secrets: ${error.message}` }]);
  return error;
}
