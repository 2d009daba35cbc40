// Secrets that sign webhooks, at rest: an ops repo's push-webhook secret (checked on pushes) and a
// notification subscription's signing secret (used to sign deliveries). Sealed with the payload keys
// when they are set (the column then holds "sealed:" and base64), as written where they are not.
// Each kind is sealed for its own purpose, so one does not open as the other.
import { open, seal, type Keyring } from './keyring.js';

const PREFIX = 'sealed:';
const CONTEXT = 'ops-repo-webhook-secret';
const NOTIFICATION_CONTEXT = 'notification-subscription-secret';

function stored<T extends string | null | undefined>(secret: T, keyring: Keyring | undefined, context: string): T | string {
  if (typeof secret !== 'string' || !keyring) return secret;
  return `${PREFIX}${seal(keyring, Buffer.from(secret, 'utf8'), context).toString('base64')}`;
}

function opened(value: string, keyring: Keyring | undefined, context: string, missingKeys: string): string {
  if (!value.startsWith(PREFIX)) return value;
  if (!keyring) throw new Error(missingKeys);
  return open(keyring, Buffer.from(value.slice(PREFIX.length), 'base64'), context).toString('utf8');
}

/** What to store for `secret`: sealed with `keyring` when there is one; null and undefined pass through. */
export function storedWebhookSecret<T extends string | null | undefined>(secret: T, keyring: Keyring | undefined): T | string {
  return stored(secret, keyring, CONTEXT);
}

/** The secret a push is signed with, from what is stored; throws when it is sealed and no key opens it. */
export function webhookSecretFrom(value: string, keyring: Keyring | undefined): string {
  return opened(value, keyring, CONTEXT, 'the webhook secret is stored sealed and this server has no DEPLOYER_PAYLOAD_KEYS to open it');
}

/** What to store for a subscription's signing secret: sealed with `keyring` when there is one. */
export function storedNotificationSecret<T extends string | null | undefined>(secret: T, keyring: Keyring | undefined): T | string {
  return stored(secret, keyring, NOTIFICATION_CONTEXT);
}

/** A subscription's signing secret from what is stored; throws when it is sealed and no key opens it. */
export function notificationSecretFrom(value: string, keyring: Keyring | undefined): string {
  return opened(value, keyring, NOTIFICATION_CONTEXT, "the subscription's secret is stored sealed and this worker has no DEPLOYER_PAYLOAD_KEYS to open it");
}
