import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

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
