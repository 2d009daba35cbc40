// Payload keyrings for tests: parsed from DEPLOYER_PAYLOAD_KEYS text, or made of fresh random keys.
import { randomBytes } from 'node:crypto';
import { parseKeyring, type Keyring } from '../../src/crypto/keyring.js';

/** The ring `text` (id=key,…) stands for; throws on a problem, which a test never means to make. */
export function keyringOf(text: string): Keyring {
  const parsed = parseKeyring(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keyring;
}

/** A ring of one fresh key, `k1`. */
export function freshKeyring(): Keyring {
  return keyringOf(`k1=${randomBytes(32).toString('base64')}`);
}
