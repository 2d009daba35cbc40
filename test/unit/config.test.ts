import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporalConnectionOptions, TemporalConnectError } from '../../src/client/temporal-connection.js';
import { ConfigError, loadConfig, loadTemporalConfig } from '../../src/config.js';

const valid = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/deployer' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('fills defaults around the one required variable', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'deployer' },
      databaseUrl: valid.DATABASE_URL,
      api: { host: '127.0.0.1', port: 8080 },
      allowFileUrls: false,
      defaultPolicy: { minIntervalMs: 2000, driftIntervalMs: 3600000, autoRollback: true },
    });
  });

  it.each([
    [{}, 'DATABASE_URL is required'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL="mysql://x" is invalid: a postgres:// URL'],
    [{ ...valid, TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS="localhost" is invalid: host:port'],
    [{ ...valid, DEPLOYER_API_PORT: '70000' }, 'DEPLOYER_API_PORT="70000" is invalid'],
    [{ ...valid, DEPLOYER_API_PORT: 'http' }, 'DEPLOYER_API_PORT="http" is invalid'],
    [{ ...valid, DEPLOYER_ALLOW_FILE_URLS: 'yes' }, 'DEPLOYER_ALLOW_FILE_URLS="yes" is invalid'],
    [{ ...valid, DEPLOYER_LOG_LEVEL: 'loud' }, 'DEPLOYER_LOG_LEVEL="loud" is invalid'],
    [{ ...valid, DEPLOYER_MIN_INTERVAL_MS: '-5' }, 'DEPLOYER_MIN_INTERVAL_MS="-5" is invalid'],
    [{ ...valid, DEPLOYER_DRIFT_INTERVAL_MS: '1.5' }, 'DEPLOYER_DRIFT_INTERVAL_MS="1.5" is invalid'],
    [{ ...valid, DEPLOYER_AUTO_ROLLBACK: 'maybe' }, 'DEPLOYER_AUTO_ROLLBACK="maybe" is invalid'],
  ])('names the variable and what is wrong: %j', (env, message) => {
    const problems = problemsOf(env as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ TEMPORAL_ADDRESS: 'x', DEPLOYER_API_PORT: '0' });
    expect(problems.map((p) => p.split(/[ =]/)[0])).toEqual(['TEMPORAL_ADDRESS', 'DATABASE_URL', 'DEPLOYER_API_PORT']);
  });
});

describe('the README', () => {
  it('documents every configuration variable', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const { configVariables } = await import('../../src/config.js');
    const missing = Object.keys(configVariables).filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});

describe('the connection to Temporal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deployer-config-'));
  const pem = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    return file;
  };
  const cert = pem('cert.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const key = pem('key.pem', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  const notPem = pem('not.pem', 'hello');
  const temporalProblems = (env: Record<string, string>) => {
    try {
      loadTemporalConfig(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('is plaintext unless told otherwise, and needs no database to be read', () => {
    expect(loadTemporalConfig({})).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'deployer', tls: undefined, apiKey: undefined });
    expect(loadConfig(valid).temporal.tls).toBeUndefined();
  });

  it('reads the CA, the client certificate and key, and hands them to the connection as Temporal takes them', () => {
    const config = loadTemporalConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_CA: cert, TEMPORAL_TLS_SERVER_NAME: 'temporal', TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key });
    expect(config.tls).toEqual({ serverName: 'temporal', caCertificate: expect.any(Buffer), clientCert: { crt: expect.any(Buffer), key: expect.any(Buffer) } });
    expect(temporalConnectionOptions(config)).toEqual({
      address: 'temporal.internal:7233',
      tls: { serverNameOverride: 'temporal', serverRootCACertificate: config.tls!.caCertificate, clientCertPair: config.tls!.clientCert },
      apiKey: undefined,
    });
  });

  it('turns TLS on for an API key or TEMPORAL_TLS=true alone, with the system roots', () => {
    expect(temporalConnectionOptions(loadTemporalConfig({ TEMPORAL_API_KEY: 'secret-key' }))).toEqual({ address: '127.0.0.1:7233', tls: {}, apiKey: 'secret-key' });
    expect(loadTemporalConfig({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
  });

  it.each([
    [{ TEMPORAL_TLS_CERT: cert }, 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together'],
    [{ TEMPORAL_TLS_KEY: key }, 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together'],
    [{ TEMPORAL_TLS_CA: join(dir, 'missing.pem') }, `TEMPORAL_TLS_CA="${join(dir, 'missing.pem')}" cannot be read: ENOENT`],
    [{ TEMPORAL_TLS_CA: notPem }, 'does not hold a certificate in PEM form'],
    [{ TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: cert }, 'TEMPORAL_TLS_KEY'],
    [{ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }, 'TEMPORAL_TLS=false contradicts'],
    [{ TEMPORAL_TLS: 'maybe' }, 'TEMPORAL_TLS="maybe" is invalid'],
  ])('refuses %j, naming the variable', (env, message) => {
    const problems = temporalProblems(env as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('says how it tried and what to set when the server refuses', () => {
    const refused = new TemporalConnectError({ address: 't:7233', tls: {} }, new Error('transport error: received fatal alert: CertificateRequired'));
    expect(refused.message).toBe(
      'cannot connect to Temporal at t:7233 over TLS without a client certificate: transport error: received fatal alert: CertificateRequired. ' +
        'The server requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to its PEM files.',
    );
    const untrusted = new TemporalConnectError({ address: 't:7233', tls: {} }, new Error('invalid peer certificate: UnknownIssuer'));
    expect(untrusted.message).toContain('set TEMPORAL_TLS_CA to the CA that signed it');
    expect(new TemporalConnectError({ address: 't:7233' }, new Error('Failed to connect before the deadline')).message).toContain('in plaintext');
  });
});
