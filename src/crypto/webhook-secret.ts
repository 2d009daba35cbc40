// An ops repo's push-webhook secret at rest: sealed with the payload keys when they are set (the
// column then holds "sealed:" and base64), as written where they are not. The webhook route is the
// only reader and opens it to check a push's signature.
import { open, seal, type Keyring } from './keyring.js';

const PREFIX = 'sealed:';
const CONTEXT = 'ops-repo-webhook-secret';

/** What to store for `secret`: sealed with `keyring` when there is one; null and undefined pass through. */
export function storedWebhookSecret<T extends string | null | undefined>(secret: T, keyring: Keyring | undefined): T | string {
  if (typeof secret !== 'string' || !keyring) return secret;
  return `${PREFIX}${seal(keyring, Buffer.from(secret, 'utf8'), CONTEXT).toString('base64')}`;
}

/** The secret a push is signed with, from what is stored; throws when it is sealed and no key opens it. */
export function webhookSecretFrom(stored: string, keyring: Keyring | undefined): string {
  if (!stored.startsWith(PREFIX)) return stored;
  if (!keyring) throw new Error('the webhook secret is stored sealed and this server has no DEPLOYER_PAYLOAD_KEYS to open it');
  return open(keyring, Buffer.from(stored.slice(PREFIX.length), 'base64'), CONTEXT).toString('utf8');
}
