// What each process that talks to Temporal converts payloads with: with DEPLOYER_PAYLOAD_KEYS,
// the encryption codec and a failure converter that moves messages and stacks into encrypted
// payloads; without, Temporal's defaults.
import { Client, type Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { fileURLToPath } from 'node:url';
import type { TemporalConfig } from '../config.js';
import type { Keyring } from '../crypto/keyring.js';
import { EncryptionCodec } from './payload-codec.js';

/** Loaded by path (the worker bundles it into the workflow code too). */
export const encryptedFailureConverterPath = fileURLToPath(new URL('./encrypted-failure-converter.cjs', import.meta.url));

/** The data converter of a client or worker: undefined (Temporal's default) without keys. */
export function deployerDataConverter(payloadKeys: Keyring | undefined): DataConverter | undefined {
  if (!payloadKeys) return undefined;
  return { payloadCodecs: [new EncryptionCodec(payloadKeys)], failureConverterPath: encryptedFailureConverterPath };
}

/** A Temporal client on `connection` that encrypts and decrypts payloads when keys are configured. */
export function temporalClient(connection: Connection, { namespace, payloadKeys }: Pick<TemporalConfig, 'namespace' | 'payloadKeys'>): Client {
  return new Client({ connection, namespace, dataConverter: deployerDataConverter(payloadKeys) });
}
