// `deployer env register` checks its --policy with the API's schema (the API's names, ranges and
// no unknown fields) and stores it as the API would; a bad one is refused, naming the field, and
// writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { migrate } from '../../src/db/migrate.js';
import { upsertOpsRepo } from '../../src/db/ops-repos.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { testEnv, uniqueSuffix } from '../support/env.js';

describe('deployer env register', () => {
  const suffix = uniqueSuffix();
  const project = `cli-reg-${suffix}`;
  const pool = () => getPool(testEnv.databaseUrl);
  const env = { ...process.env, DATABASE_URL: testEnv.databaseUrl, DEPLOYER_DIRECT: '1', DEPLOYER_URL: '', DEPLOYER_TOKEN: '' };

  async function register(...extra: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ['env', 'register', '--project', project, '--env', 'dev', '--ops-repo', `${project}-ops`, '--manifest-path', 'app.yaml.njk', '--namespace', `${project}-dev`, ...extra],
      { out: (line) => out.push(line), err: (line) => err.push(line), env },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const storedPolicy = async () =>
    (await pool().query<{ policy: unknown }>('SELECT policy FROM environments WHERE project = $1', [project])).rows.map((r) => r.policy);

  beforeAll(async () => {
    await migrate(pool());
    const client = await pool().connect();
    try {
      await upsertOpsRepo(client, { name: `${project}-ops`, url: 'https://git.example/ops.git', branch: 'main', path: '.' });
    } finally {
      client.release();
    }
  });
  afterAll(async () => {
    await pool().query('DELETE FROM environments WHERE project = $1', [project]).catch(() => undefined);
    await pool().query('DELETE FROM ops_repos WHERE name = $1', [`${project}-ops`]).catch(() => undefined);
    await closePools();
  });

  it.each([
    ['a wrong type', '{"min_interval_ms":"soon"}', /--policy: min_interval_ms: .*number/],
    ['an unknown field (the stored, camelCase name)', '{"minIntervalMs":5}', /--policy: .*minIntervalMs/],
    ['a value out of range', '{"drift_interval_ms":5}', /--policy: drift_interval_ms: .*1000/],
    ['a freeze window with a bad cron', '{"freeze_windows":[{"name":"w","cron":"0 18 * *","duration":"1h","time_zone":"UTC"}]}', /--policy: freeze_windows\[0\]\.cron: .*5 fields/],
    ['an approval that expires after a fortnight of Sundays', '{"approval":{"required":true,"expires_after":"14 sundays"}}', /--policy: approval\.expires_after: .*duration/],
  ])('refuses %s, naming the field, and registers nothing', async (_, policy, message) => {
    const result = await register('--policy', policy);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(await storedPolicy()).toEqual([]);
  });

  it('stores an approval gate and freeze windows as the API stores them', async () => {
    const policy = { approval: { required: true, expires_after: '24h' }, freeze_windows: [{ name: 'weekend', cron: '0 18 * * FRI', duration: '62h', time_zone: 'Europe/Berlin' }] };
    expect(await register('--policy', JSON.stringify(policy))).toMatchObject({ code: 0 });
    expect(await storedPolicy()).toEqual([
      {
        approval: { required: true, expiresAfterMs: 86_400_000, allowSelfApproval: false },
        freezeWindows: [{ kind: 'recurring', name: 'weekend', cron: '0 18 * * FRI', duration: 223_200_000, timeZone: 'Europe/Berlin', holdsRollbacks: false }],
      },
    ]);
  });

  it('stores a policy given in the API names as the API stores it', async () => {
    const result = await register('--policy', '{"min_interval_ms":5000,"auto_rollback":false}');
    expect(result).toMatchObject({ code: 0 });
    expect(await storedPolicy()).toEqual([{ minIntervalMs: 5000, autoRollback: false }]);
  });
});
