import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, isEncrypted } from '../../src/client/payload-codec.js';
import { keyringOf } from '../support/test-keyring.js';

const ring = keyringOf;

describe('the encryption codec', () => {
  const k1 = `k1=${randomBytes(32).toString('base64')}`;
  const k2 = `k2=${randomBytes(32).toString('base64')}`;

  it('seals each payload whole, metadata included, and restores it exactly', async () => {
    const codec = new EncryptionCodec(ring(k1));
    const payloads = [defaultPayloadConverter.toPayload({ imageRef: 'shop/web:1.2.3' }), defaultPayloadConverter.toPayload(undefined)];
    const encoded = await codec.encode(payloads);
    expect(encoded.every(isEncrypted)).toBe(true);
    expect(Buffer.from(encoded[0]!.data!).includes(Buffer.from('shop/web'))).toBe(false);
    expect(Buffer.from(encoded[0]!.data!).includes(Buffer.from('json/plain'))).toBe(false);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ imageRef: 'shop/web:1.2.3' }, undefined]);
  });

  it('passes payloads that were never encrypted through, and opens old keys after a rotation', async () => {
    const plain = defaultPayloadConverter.toPayload('written before the keys were set');
    const before = await new EncryptionCodec(ring(k1)).encode([defaultPayloadConverter.toPayload('sealed with k1')]);
    const rotated = new EncryptionCodec(ring(`${k2},${k1}`));
    const decoded = await rotated.decode([plain, ...before]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['written before the keys were set', 'sealed with k1']);
  });

  it('names the payload and the key when one does not open', async () => {
    const sealed = await new EncryptionCodec(ring(k2)).encode([defaultPayloadConverter.toPayload('x')]);
    await expect(new EncryptionCodec(ring(k1)).decode([defaultPayloadConverter.toPayload('ok'), ...sealed])).rejects.toThrow(
      /^payload 2 of 2: sealed with key "k2", which DEPLOYER_PAYLOAD_KEYS no longer holds/,
    );
  });
});
