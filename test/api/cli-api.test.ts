// The command line through the HTTP API after `deployer login`: the token is checked and stored
// for its owner only, and deploy, status, history and the administration of ops repos,
// environments and policies go through the API with it — its checks, its scopes, and audit rows
// under the token's name.
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/listen.js';
import { runCli } from '../../src/cli.js';
import { credentialsFile } from '../../src/cli/credentials.js';
import { WorkflowHarness } from '../workflow/harness.js';
import { auditRows, registerTestEnvironment, rowCounts, setUpApiTest, workflowExists, type ApiTest } from './support.js';
import { testEnv } from '../support/env.js';

describe('the command line through the API', () => {
  let harness: WorkflowHarness;
  let test: ApiTest;
  let server: ApiServer;
  let url: string;
  let home: string;

  beforeAll(async () => {
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 60_000 } });
    await harness.startWorker();
    test = await setUpApiTest('cliapi', { temporalClient: harness.client, taskQueue: harness.taskQueue });
    await registerTestEnvironment(test, test.project, 'prod');
    server = await startApiServer({ app: test.app, port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${server.port}`;
    home = await mkdtemp(join(tmpdir(), 'deployer-cli-home-'));
  });
  afterAll(async () => {
    await server?.close();
    await harness?.close();
    await test?.close();
  });

  // No Temporal address at all: whatever works here went through the API.
  async function cli(env: Record<string, string>, ...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: { XDG_CONFIG_HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:9', ...env } });
    return { code, out, err };
  }

  it('refuses every request and administration command without a login, and writes nothing', async () => {
    const before = await rowCounts(test);
    const attempts = [
      ['deploy', '--project', test.project, '--env', 'nologin', '--image', 'web:1'],
      ['rollback', '--project', test.project, '--env', 'nologin'],
      ['stop', '--project', test.project, '--env', 'nologin'],
      ['cancel', '--project', test.project, '--env', 'nologin'],
      ['status', '--project', test.project, '--env', 'nologin'],
      ['history', '--project', test.project, '--env', 'nologin'],
      ['env', 'register', '--project', test.project, '--env', 'nologin', '--ops-repo', 'x', '--manifest-path', 'a.njk', '--namespace', 'nologin'],
      ['ops-repo', 'add', '--name', `${test.prefix}-nologin`, '--url', 'https://git.example/x.git'],
      ['ops-repo', 'list'],
      ['policy', 'get', '--project', test.project],
      ['notify', 'list'],
    ];
    for (const args of attempts) {
      const result = await cli({ DATABASE_URL: testEnv.databaseUrl }, ...args);
      expect(result, args.join(' ')).toMatchObject({ code: 2, err: [expect.stringMatching(/^deployer: not logged in: run `deployer login --url URL`/)] });
    }
    expect(await rowCounts(test)).toEqual(before);
    expect(await workflowExists(test.client, `deploy/${test.project}/nologin`)).toBe(false);
  });

  it('logs in only with a token the API accepts, and keeps it readable by its owner alone', async () => {
    const refused = await cli({}, 'login', '--url', url, '--token', 'dpl_not-a-real-token');
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toContain('401');
    await expect(stat(credentialsFile({ XDG_CONFIG_HOME: home }))).rejects.toMatchObject({ code: 'ENOENT' });

    const done = await cli({ DEPLOYER_TOKEN: test.tokens.promoter }, 'login', '--url', url);
    expect(done.code).toBe(0);
    expect(done.out[0]).toMatch(new RegExp(`^logged in to ${url.replace(/\./g, '\\.')} as ${test.prefix}-promoter \\(deploy:promote, deploy:read\\)`));
    const file = credentialsFile({ XDG_CONFIG_HOME: home });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'deployer'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url, token: test.tokens.promoter });
  });

  it('deploys, waits, shows status and history through the API, audited under the token', async () => {
    const deploy = await cli({}, 'deploy', '--project', test.project, '--env', 'prod', '--image', 'registry.example/web:7', '--wait', '--reason', 'through the API');
    expect(deploy.err).toEqual([]);
    expect(deploy.code).toBe(0);
    expect(deploy.out.at(-1)).toBe('healthy: #1 registry.example/web:7 (healthy, ops sha-1)');
    const requestId = /request (\S+) for/.exec(deploy.out[0]!)![1]!;
    expect((await auditRows(test, { requestId }))[0]).toMatchObject({ actor: `${test.prefix}-promoter`, action: 'deployment.update' });

    const status = await cli({}, 'status', '--project', test.project, '--env', 'prod');
    expect(status).toMatchObject({ code: 0, out: expect.arrayContaining([`${test.project}/prod: healthy`]) });
    const history = await cli({}, 'history', '--project', test.project, '--env', 'prod');
    expect(history.code).toBe(0);
    expect(history.out.join('\n')).toContain('registry.example/web:7 (healthy');
  });

  it('takes DEPLOYER_URL and DEPLOYER_TOKEN over the stored login, and meets the API\'s scopes and rules', async () => {
    const reader = await cli({ DEPLOYER_URL: url, DEPLOYER_TOKEN: test.tokens.reader }, 'stop', '--project', test.project, '--env', 'prod');
    expect(reader.code).toBe(1);
    expect(reader.err.join('\n')).toContain('403');
    const bad = await cli({}, 'deploy', '--project', test.project, '--env', 'prod', '--image', 'NGINX:1');
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toContain('--image "NGINX:1"');
    const unknown = await cli({}, 'deploy', '--project', test.project, '--env', 'nowhere', '--image', 'web:1');
    expect(unknown.code).toBe(1);
    expect(unknown.err.join('\n')).toContain('404');

    // A damaged credentials file is named, with what to do; nothing is sent anywhere.
    const damaged = await mkdtemp(join(tmpdir(), 'deployer-cli-damaged-'));
    await mkdir(join(damaged, 'deployer'), { recursive: true });
    await writeFile(join(damaged, 'deployer', 'credentials.json'), '{"url": ');
    const broken = await cli({ XDG_CONFIG_HOME: damaged }, 'status', '--project', test.project, '--env', 'prod');
    expect(broken.code).toBe(1);
    expect(broken.err[0]).toBe(`deployer: ${join(damaged, 'deployer', 'credentials.json')} holds no url and token: run \`deployer login --url URL --token TOKEN\` again`);
  });

  it('administers ops repos, environments and policies through the API, audited under the token, and refuses without the admin scope', async () => {
    const admin = { DEPLOYER_URL: url, DEPLOYER_TOKEN: test.tokens.admin };
    const promoter = { DEPLOYER_URL: url, DEPLOYER_TOKEN: test.tokens.promoter };
    const repo = `${test.prefix}-cli-ops`;
    const refused = await cli(promoter, 'ops-repo', 'add', '--name', repo, '--url', 'https://git.example.com/cli.git');
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toContain('403');

    const added = await cli(admin, 'ops-repo', 'add', '--name', repo, '--url', 'https://git.example.com/cli.git', '--path', 'envs');
    expect(added.err).toEqual([]);
    expect(added.out[0]).toMatch(new RegExp(`^ops repo ${repo} \\(#\\d+\\): https://git\\.example\\.com/cli\\.git branch main path envs$`));
    const moved = await cli(admin, 'ops-repo', 'add', '--name', repo, '--url', 'https://git.example.com/cli.git', '--branch', 'release');
    expect(moved.out[0]).toMatch(/branch release path \.$/);
    const listed = await cli(admin, 'ops-repo', 'list');
    expect(listed.out.find((line) => line.startsWith(repo))).toMatch(/ https:\/\/git\.example\.com\/cli\.git release:\. never synced, no webhook secret$/);
    // A URL the API refuses (a token in it) is refused naming the field, and nothing is written.
    const leaky = await cli(admin, 'ops-repo', 'add', '--name', `${repo}-2`, '--url', 'https://TOKEN@git.example.com/cli.git');
    expect(leaky.code).toBe(1);
    expect(leaky.err.join('\n')).toMatch(/400 .*url/);
    expect((await cli(admin, 'ops-repo', 'list')).out.some((line) => line.startsWith(`${repo}-2`))).toBe(false);

    const env = ['env', 'register', '--project', test.project, '--env', 'cli', '--ops-repo', repo, '--manifest-path', 'app.yaml.njk', '--namespace', `${test.project}-cli`.slice(0, 63), '--policy', '{"min_interval_ms": 5000}'];
    expect((await cli(promoter, ...env)).code).toBe(1);
    const registered = await cli(admin, ...env);
    expect(registered.err).toEqual([]);
    expect(registered.out).toEqual([`registered ${test.project}/cli: ${repo}:app.yaml.njk → namespace ${`${test.project}-cli`.slice(0, 63)}`]);
    const { rows } = await test.pool.query('SELECT namespace, policy FROM environments WHERE project = $1 AND name = $2', [test.project, 'cli']);
    expect(rows[0]).toMatchObject({ namespace: `${test.project}-cli`.slice(0, 63), policy: { minIntervalMs: 5000 } });

    const policy = await cli(admin, 'policy', 'set', '--project', test.project, '--policy', '{"allow_cluster_rbac": false, "allowed_namespaces": ["shared-tools"]}');
    expect(policy.code).toBe(0);
    expect(JSON.parse(policy.out.join('\n'))).toMatchObject({ project: test.project, allowed_namespaces: ['shared-tools'], allow_cluster_rbac: false });
    const read = await cli(promoter, 'policy', 'get', '--project', test.project);
    expect(JSON.parse(read.out.join('\n'))).toEqual(JSON.parse(policy.out.join('\n')));

    expect((await cli(admin, 'ops-repo', 'sync', '--name', repo, '--timeout', '5')).code).toBe(2);
    expect((await cli(admin, 'ops-repo', 'sync', '--name', `${repo}-none`)).err[0]).toBe(`deployer: ops repo "${repo}-none" is not registered\nusage: deployer ops-repo sync --name NAME [--timeout S]`);

    const actions = (await auditRows(test)).filter((row) => row.actor === `${test.prefix}-admin`).map((row) => `${row.action} ${row.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['ops_repo.create accepted', 'ops_repo.update accepted', 'environment.register accepted', 'project.policy accepted']));
  });
});
