// One way for every process (worker, API server, CLI, SDK) to reach Temporal: plaintext, TLS,
// mutual TLS or an API key, as the configuration says, and a failure to connect told in words
// that name what to check and which variables to set.
import { Connection } from '@temporalio/client';
import type { TemporalConfig } from '../config.js';

/** Where Temporal is, how to prove who we are, and the keys payloads are sealed with; the rest of TemporalConfig is about work. */
export type TemporalEndpoint = Pick<TemporalConfig, 'address'> & Partial<Pick<TemporalConfig, 'tls' | 'apiKey' | 'payloadKeys'>>;

/** The options both Temporal connection kinds (the client's and the worker's native one) take. */
export function temporalConnectionOptions(endpoint: TemporalEndpoint) {
  const { tls } = endpoint;
  return {
    address: endpoint.address,
    tls: tls ? { serverNameOverride: tls.serverName, serverRootCACertificate: tls.caCertificate, clientCertPair: tls.clientCert } : undefined,
    apiKey: endpoint.apiKey,
  };
}

/** Temporal could not be reached or refused us; the message says how we tried and what to set. */
export class TemporalConnectError extends Error {
  constructor(endpoint: TemporalEndpoint, cause: unknown) {
    super(describeFailure(endpoint, cause), { cause });
    this.name = 'TemporalConnectError';
  }
}

function describeFailure(endpoint: TemporalEndpoint, cause: unknown): string {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const how = !endpoint.tls
    ? 'in plaintext'
    : `over TLS${endpoint.tls.clientCert ? ' with a client certificate' : ' without a client certificate'}${endpoint.apiKey ? ' and an API key' : ''}`;
  let hint: string;
  if (/CertificateRequired|certificate required/i.test(detail)) {
    hint = 'the server requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to its PEM files';
  } else if (/UnknownIssuer|unknown ca|self.signed|certificate verify|invalid peer certificate|NotValidForName/i.test(detail)) {
    hint = "the server's certificate is not trusted for this name: set TEMPORAL_TLS_CA to the CA that signed it, and TEMPORAL_TLS_SERVER_NAME when the certificate names another host";
  } else if (!endpoint.tls) {
    hint = 'check TEMPORAL_ADDRESS; if the server requires TLS, set TEMPORAL_TLS=true (TEMPORAL_TLS_CA for a private CA, TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY for mutual TLS, TEMPORAL_API_KEY for Temporal Cloud)';
  } else if (!endpoint.tls.clientCert) {
    // A server that demands a certificate may say so (CertificateRequired) or just close the connection.
    hint = 'check TEMPORAL_ADDRESS and that the server speaks TLS there; if it requires a client certificate, set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to its PEM files';
  } else {
    hint = 'check TEMPORAL_ADDRESS and that the server speaks TLS there, and that it trusts the CA that signed TEMPORAL_TLS_CERT';
  }
  return `cannot connect to Temporal at ${endpoint.address} ${how}: ${detail.split('\n')[0]}. ${hint[0]!.toUpperCase()}${hint.slice(1)}.`;
}

/** Runs `connect`, turning its failure into a TemporalConnectError. */
export async function connecting<T>(endpoint: TemporalEndpoint, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    throw new TemporalConnectError(endpoint, error);
  }
}

/** A client connection to Temporal as `endpoint` says. */
export function connectToTemporal(endpoint: TemporalEndpoint, { connectTimeout }: { connectTimeout?: string | number } = {}): Promise<Connection> {
  return connecting(endpoint, () => Connection.connect({ ...temporalConnectionOptions(endpoint), connectTimeout }));
}
