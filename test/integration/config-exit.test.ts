import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('a process started with bad configuration', () => {
  it('prints one line per problem and exits non-zero without a stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DEPLOYER_API_PORT: 'eighty', TEMPORAL_ADDRESS: 'no-port' },
      timeout: 60_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('invalid configuration:');
    expect(result.stderr).toContain('  - TEMPORAL_ADDRESS="no-port" is invalid: host:port');
    expect(result.stderr).toContain('  - DATABASE_URL is required');
    expect(result.stderr).toContain('  - DEPLOYER_API_PORT="eighty" is invalid');
    expect(result.stderr).not.toContain('    at ');
  });
});
