// Which errors are outages of a dependency (waited out) and which are the request's own fault
// (failed at once), and how a step waits one out: classification on the errors the real clients
// produce, the wait on a clock the test controls.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ridingOutOutages, unreachableDependency, type Outage } from '../../activities/outages.js';
import { isPostgresUnreachable } from '../../src/db/pool.js';
import { DependencyUnreachable, DeployerError, userError } from '../../src/domain/errors.js';
import { isGitRemoteUnreachable } from '../../src/git/checkout.js';
import { KubeApiError } from '../../src/k8s/client.js';

const run = promisify(execFile);

async function gitFetchError(url: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outage-git-'));
  try {
    await run('git', ['init', '--bare', '--quiet', dir]);
    await run('git', ['-C', dir, 'fetch', '--quiet', url, 'refs/heads/main']);
    throw new Error(`fetching ${url} succeeded`);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('unreachable dependencies', () => {
  it('recognises PostgreSQL that refuses connections, and not a bad query', async () => {
    const client = new pg.Client({ connectionString: 'postgres://nobody@127.0.0.1:9/none', connectionTimeoutMillis: 2_000 });
    const refused = await client.connect().then(() => undefined, (error: unknown) => error);
    expect(isPostgresUnreachable(refused)).toBe(true);
    expect(unreachableDependency(refused)).toBe('PostgreSQL');
    const shuttingDown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(isPostgresUnreachable(shuttingDown)).toBe(true);
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(isPostgresUnreachable(syntax)).toBe(false);
    expect(unreachableDependency(syntax)).toBeUndefined();
  });

  it('recognises a git remote that cannot be reached, and not one that does not exist', async () => {
    const refused = await gitFetchError('http://127.0.0.1:9/ops.git');
    expect(refused).toMatch(/Failed to connect|Couldn't connect|Connection refused/i);
    expect(isGitRemoteUnreachable(refused)).toBe(true);
    const missing = await gitFetchError(join(tmpdir(), 'no-such-repository-here'));
    expect(missing).toMatch(/does not appear to be a git repository/);
    expect(isGitRemoteUnreachable(missing)).toBe(false);
    expect(isGitRemoteUnreachable("fatal: couldn't find remote ref refs/heads/nope")).toBe(false);
  });

  it('recognises an API server that does not answer or is overloaded, and not a rejected object', () => {
    expect(unreachableDependency(new DependencyUnreachable('Kubernetes', 'GET /api: request failed: connect ECONNREFUSED'))).toBe('Kubernetes');
    expect(unreachableDependency(new KubeApiError(503, 'GET', '/api', undefined, 'etcdserver: request timed out'))).toBe('Kubernetes');
    expect(unreachableDependency(new KubeApiError(429, 'GET', '/api', undefined, 'too many requests'))).toBe('Kubernetes');
    expect(unreachableDependency(new KubeApiError(422, 'PATCH', '/api', undefined, 'invalid'))).toBeUndefined();
    expect(unreachableDependency(userError('template broke', 'TemplateError'))).toBeUndefined();
  });
});

describe('riding out an outage', () => {
  function clock() {
    let now = 1_000_000;
    const sleeps: number[] = [];
    return { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), sleeps };
  }

  it('runs the work again until the dependency answers, and reports the outage and its end', async () => {
    const time = clock();
    const seen: Array<Outage | undefined> = [];
    let calls = 0;
    const result = await ridingOutOutages(
      async () => {
        calls += 1;
        if (calls <= 4) throw new DependencyUnreachable('PostgreSQL', `connect ECONNREFUSED (${calls})`);
        return 'loaded';
      },
      { onOutage: (o) => seen.push(o), sleep: time.sleep, now: time.now },
    );
    expect(result).toBe('loaded');
    expect(calls).toBe(5);
    expect(time.sleeps).toEqual([500, 1_000, 2_000, 4_000]);
    expect(seen.slice(0, 4).map((o) => o?.since)).toEqual([1_000_000, 1_000_000, 1_000_000, 1_000_000]);
    expect(seen[3]).toMatchObject({ dependency: 'PostgreSQL', error: 'connect ECONNREFUSED (4)' });
    expect(seen[4]).toBeUndefined();
  });

  it('fails once the budget is spent, naming the service and since when', async () => {
    const time = clock();
    const failure = await ridingOutOutages(
      async () => {
        throw new DependencyUnreachable('git', 'Failed to connect to git.example.com port 443');
      },
      { budgetMs: 60_000, onOutage: () => undefined, sleep: time.sleep, now: time.now },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeployerError);
    expect(failure).toMatchObject({ type: 'GitUnavailable', retryable: false });
    expect((failure as Error).message).toBe(
      `GitUnavailable: git has not answered since ${new Date(1_000_000).toISOString()}; the step gave up after waiting 60 s: Failed to connect to git.example.com port 443`,
    );
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it('fails at once on an error that is not an outage', async () => {
    const time = clock();
    let calls = 0;
    const failure = await ridingOutOutages(
      async () => {
        calls += 1;
        throw userError('values.replicas must be an integer', 'ValuesInvalid');
      },
      { onOutage: () => undefined, sleep: time.sleep, now: time.now },
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: 'ValuesInvalid' });
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });
});
