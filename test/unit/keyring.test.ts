import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, open, parseKeyring, seal, UnsealError } from '../../src/crypto/keyring.js';
import { keyringOf } from '../support/test-keyring.js';

const ring = keyringOf;

describe('the payload keyring', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('hex');

  it('seals with the newest key and opens with any key of the ring', () => {
    const old = ring(`k1=${k1}`);
    const rotated = ring(`k2=${k2},k1=${k1}`);
    const sealedOld = seal(old, Buffer.from('nginx:1.27'));
    const sealedNew = seal(rotated, Buffer.from('nginx:1.28'));
    expect(sealedNew.includes(Buffer.from('nginx'))).toBe(false);
    expect(open(rotated, sealedOld).toString()).toBe('nginx:1.27');
    expect(open(rotated, sealedNew).toString()).toBe('nginx:1.28');
    expect(() => open(old, sealedNew)).toThrow(/key "k2", which DEPLOYER_PAYLOAD_KEYS no longer holds/);
  });

  it('refuses altered bytes and bytes sealed for another purpose', () => {
    const keys = ring(`k1=${k1}`);
    const sealed = seal(keys, Buffer.from('value'), 'secret:a');
    expect(() => open(keys, sealed, 'secret:b')).toThrow(UnsealError);
    const altered = Buffer.from(sealed);
    altered[altered.length - 20]! ^= 1;
    expect(() => open(keys, altered, 'secret:a')).toThrow(/does not verify/);
  });

  it('names each bad entry without echoing a key', () => {
    const parsed = parseKeyring(`good=${k1},bad id=${k1},short=AAAA,good=${k1},nokey`);
    expect('problems' in parsed && parsed.problems).toEqual([
      expect.stringMatching(/^entry 2: key id "bad id" may hold only/),
      expect.stringMatching(/^entry 3 \("short"\): the key must be 32 bytes/),
      expect.stringMatching(/^entry 4: key id "good" appears twice/),
      expect.stringMatching(/^entry 5 is not id=key/),
    ]);
    expect(JSON.stringify(parsed)).not.toContain(k1);
  });

  it('fingerprints a value the same way each time, differently under another key', () => {
    const a = ring(`k1=${k1}`);
    const b = ring(`k2=${k2}`);
    expect(fingerprint(a, 'hunter2')).toBe(fingerprint(a, 'hunter2'));
    expect(fingerprint(a, 'hunter2')).toMatch(/^hmac-sha256:[0-9a-f]{12}$/);
    expect(fingerprint(a, 'hunter2')).not.toBe(fingerprint(b, 'hunter2'));
  });
});
