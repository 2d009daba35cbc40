// A Temporal PayloadCodec that encrypts every payload with the deployer's keys (AES-256-GCM, see
// src/crypto/keyring.ts): signals, activity inputs and results, heartbeats, queries, summaries and
// continue-as-new state reach the Temporal server, its history and its UI sealed. Decoding takes
// any key of the ring and passes payloads that were never encrypted (histories from before the
// keys were set) through unchanged.
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { open, seal, UnsealError, type Keyring } from '../crypto/keyring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
/** Bound into each seal: a payload does not open as a secret or anything else sealed with the keys. */
const CONTEXT = 'temporal-payload';

// @temporalio/proto is CommonJS: its namespaces come off the default export under Node's ESM.
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(this.keyring[0].id) },
      data: seal(this.keyring, PayloadMessage.encode(payload).finish(), CONTEXT),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload, index) => {
      if (!isEncrypted(payload)) return payload;
      let opened: Buffer;
      try {
        opened = open(this.keyring, payload.data ?? new Uint8Array(), CONTEXT);
      } catch (error) {
        throw new UnsealError(`payload ${index + 1} of ${payloads.length}: ${(error as Error).message}`);
      }
      const inner = PayloadMessage.decode(opened);
      return { metadata: inner.metadata, data: inner.data };
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}
