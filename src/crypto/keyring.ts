// The deployer's encryption keys (DEPLOYER_PAYLOAD_KEYS) and what they do: seal bytes with the
// newest key under AES-256-GCM, open what any key of the ring sealed. Temporal payloads and
// write-only secrets are both sealed this way, so one rotation covers both: put the new key
// first, keep the old ones while anything sealed with them may still be read.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, type Hmac } from 'node:crypto';

export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** Newest first: the first key seals, every key opens. Never empty. */
export type Keyring = readonly [PayloadKey, ...PayloadKey[]];

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

/**
 * Parses `id=key,id=key` (newest first), each key 32 bytes as base64 or 64 hex digits. Returns the
 * ring or the problems, each naming the entry at fault; a key's value is never echoed.
 */
export function parseKeyring(text: string): { keyring: Keyring } | { problems: string[] } {
  const problems: string[] = [];
  const keys: PayloadKey[] = [];
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const at = entry.indexOf('=');
    if (at <= 0) {
      problems.push(`${where} is not id=key (an id of letters, digits, '.', '_' or '-', then '=', then the key)`);
      return;
    }
    const id = entry.slice(0, at);
    const value = entry.slice(at + 1);
    if (!KEY_ID.test(id)) problems.push(`${where}: key id ${JSON.stringify(id)} may hold only letters, digits, '.', '_' and '-' (1 to 64)`);
    else if (keys.some((k) => k.id === id)) problems.push(`${where}: key id ${JSON.stringify(id)} appears twice`);
    const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
    if (!key || key.length !== 32) {
      problems.push(`${where} (${JSON.stringify(id)}): the key must be 32 bytes, as base64 (e.g. \`openssl rand -base64 32\`) or 64 hex digits`);
      return;
    }
    keys.push({ id, key });
  });
  if (problems.length > 0) return { problems };
  if (keys.length === 0) return { problems: ['no key given'] };
  return { keyring: keys as unknown as Keyring };
}

/** Sealed bytes name a key the ring does not hold, or fail their integrity check. */
export class UnsealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsealError';
  }
}

/**
 * AES-256-GCM with the newest key and a random nonce. Layout: version (1 byte), key id length
 * (1 byte), key id, nonce (12), ciphertext, tag (16). `context` is bound as associated data: bytes
 * sealed for one purpose do not open for another.
 */
export function seal(keyring: Keyring, plaintext: Uint8Array, context = ''): Buffer {
  const { id, key } = keyring[0];
  const idBytes = Buffer.from(id, 'utf8');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION, idBytes.length]), idBytes, nonce, body, cipher.getAuthTag()]);
}

/** The id of the key that sealed `sealed`, without opening it. */
export function sealedKeyId(sealed: Uint8Array): string {
  const bytes = Buffer.from(sealed);
  if (bytes.length < 2 || bytes[0] !== VERSION) throw new UnsealError('not sealed by this deployer (unknown format)');
  return bytes.subarray(2, 2 + bytes[1]!).toString('utf8');
}

/** Opens what `seal` produced with any key of the ring. */
export function open(keyring: Keyring, sealed: Uint8Array, context = ''): Buffer {
  const bytes = Buffer.from(sealed);
  const id = sealedKeyId(bytes);
  const start = 2 + bytes[1]!;
  if (bytes.length < start + NONCE_BYTES + TAG_BYTES) throw new UnsealError('sealed data is truncated');
  const entry = keyring.find((k) => k.id === id);
  if (!entry) throw new UnsealError(`sealed with key ${JSON.stringify(id)}, which DEPLOYER_PAYLOAD_KEYS no longer holds (keys: ${keyring.map((k) => k.id).join(', ')})`);
  const nonce = bytes.subarray(start, start + NONCE_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', entry.key, nonce);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(start + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new UnsealError(`sealed data does not verify under key ${JSON.stringify(id)} (altered, or sealed for another purpose)`);
  }
}

/**
 * A short fingerprint of a secret value for reads ("hmac-sha256:" and 12 hex digits), keyed with the
 * newest key so that nobody without the key can check it against guesses. Compute it when the value
 * is written and keep it beside the sealed value: it then outlives a key rotation.
 */
export function fingerprint(keyring: Keyring, value: string): string {
  return `hmac-sha256:${createHmac('sha256', keyring[0].key).update(value, 'utf8').digest('hex').slice(0, 12)}`;
}

/**
 * An HMAC-SHA256 keyed with the newest key, for one `purpose`: the digest of something that holds
 * secrets (a render, an apply plan), which nobody without the key can test guesses against.
 */
export function keyedHash(keyring: Keyring, purpose: string): Hmac {
  return createHmac('sha256', keyring[0].key).update(`${purpose}\u0000`);
}
