import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { runCli } from '../../src/cli.js';
import { DeployerClient, ReleaseFailedError } from '../../src/client/deployer-client.js';
import { InvalidRequestError } from '../../src/domain/request-rules.js';
import { testEnv } from '../support/env.js';
import { WorkflowHarness } from '../workflow/harness.js';

const bin = fileURLToPath(new URL('../../bin/deployer', import.meta.url));

describe('the deployer command line', () => {
  let harness: WorkflowHarness;
  beforeAll(async () => {
    harness = await WorkflowHarness.create({ policy: { minIntervalMs: 50, driftIntervalMs: 60_000 }, failingImages: ['web:broken'] });
    await harness.startWorker();
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    // The break-glass path straight to Temporal: the harness's environments are not in the database the API reads.
    const env = { TEMPORAL_ADDRESS: testEnv.temporalAddress, DEPLOYER_TASK_QUEUE: harness.taskQueue, DEPLOYER_USER: 'cli-test', DEPLOYER_DIRECT: '1' };
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env });
    return { code, out, err };
  }

  it('deploy --wait prints progress and exits 0 once the release is healthy', async () => {
    const result = await cli('deploy', '--project', harness.project, '--env', 'prod', '--image', 'web:1', '--wait', '--reason', 'release 1');
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(new RegExp(`^accepted: request \\S+ for ${harness.project}/prod$`));
    expect(result.out.some((l) => l.startsWith('  '))).toBe(true); // progress lines
    expect(result.out.at(-1)).toMatch(/^healthy: #1 web:1 \(healthy, ops sha-1\)$/);
    const status = await cli('status', '--project', harness.project, '--env', 'prod');
    expect(status.code).toBe(0);
    expect(status.out[0]).toBe(`${harness.project}/prod: healthy`);
  });

  it('deploy --wait exits non-zero with the reason when the release fails', async () => {
    const result = await cli('deploy', '--project', harness.project, '--env', 'prod', '--image', 'web:broken', '--wait');
    expect(result.code).toBe(1);
    expect(result.err.join('\n')).toContain('failed: Deployment web: ProgressDeadlineExceeded');
    const history = await cli('history', '--project', harness.project, '--env', 'prod');
    expect(history.out.some((l) => l.includes('web:broken (failed'))).toBe(true);
  });

  it('refuses bad usage with the option at fault and exit code 2', async () => {
    expect(await cli('deploy', '--project', harness.project, '--env', 'prod')).toMatchObject({ code: 2, err: [expect.stringContaining('--image is required')] });
    expect(await cli('deploy', '--project', 'Bad_Project', '--env', 'prod', '--image', 'x')).toMatchObject({ code: 2, err: [expect.stringContaining('--project "Bad_Project" must be a slug')] });
    expect(await cli('deploy', '--project', harness.project, '--env', 'prod', '--image', 'x', '--values', '[1]')).toMatchObject({ code: 2, err: [expect.stringContaining('--values must be a JSON object')] });
    const deep = `${'{"a":'.repeat(8_000)}1${'}'.repeat(8_000)}`;
    expect(await cli('deploy', '--project', harness.project, '--env', 'deep', '--image', 'x', '--values', deep)).toMatchObject({
      code: 2,
      err: [expect.stringContaining('--values.a.a.a')],
    });
    expect(await harness.client.workflow.getHandle(`deploy/${harness.project}/deep`).describe().catch((error: Error) => error.name)).toBe('WorkflowNotFoundError');
    expect(await cli('launch')).toMatchObject({ code: 2, err: [expect.stringContaining('usage: deployer <command>')] });
    // What each release changed is kept in Postgres, which the break-glass path to Temporal does not read.
    expect(await cli('history', '--project', harness.project, '--env', 'prod', '--diff')).toMatchObject({ code: 2, err: [expect.stringContaining('deployer login')] });
  });

  it('refuses the images, reasons and request ids the API refuses, naming the option, and starts no workflow', async () => {
    const env = 'refused';
    for (const image of ['nginx latest', 'NGINX:1', '$(id)', 'web:1\nkind: Secret']) {
      const result = await cli('deploy', '--project', harness.project, '--env', env, '--image', image);
      expect(result, image).toMatchObject({ code: 2, err: [expect.stringMatching(/^deployer: --image "/)] });
    }
    expect(await cli('deploy', '--project', harness.project, '--env', env, '--image', 'web:1', '--reason', 'line one\nline two')).toMatchObject({
      code: 2,
      err: [expect.stringContaining('--reason must be 1-500 characters without control characters')],
    });
    expect(await cli('stop', '--project', harness.project, '--env', env, '--request-id', '../../x')).toMatchObject({ code: 2, err: [expect.stringContaining('--request-id "../../x" must be')] });
    // The SDK applies the same rules, before anything reaches Temporal.
    const deployer = new DeployerClient({ client: harness.client, taskQueue: harness.taskQueue });
    const refused = await deployer.deploy({ project: harness.project, environment: env, imageRef: '$(id)', requestedBy: 'sdk' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect((refused as InvalidRequestError).problems).toEqual([{ field: 'imageRef', message: expect.stringContaining('"$(id)"') }]);
    expect(await harness.client.workflow.getHandle(`deploy/${harness.project}/${env}`).describe().catch((error: Error) => error.name)).toBe('WorkflowNotFoundError');
  });

  it('says when the workflow is not running instead of passing its last state off as the present', async () => {
    expect((await cli('deploy', '--project', harness.project, '--env', 'ended', '--image', 'web:1', '--wait')).code).toBe(0);
    await harness.handle('ended').terminate('an operator ended it');
    const status = await cli('status', '--project', harness.project, '--env', 'ended');
    expect(status.code).toBe(1);
    expect(status.out[0]).toBe(
      `${harness.project}/ended: the workflow is terminated, not running — below is its last state, not the present; the next request starts a new run`,
    );

    // A pipeline waiting on a request of a workflow that ends hears so within seconds.
    harness.recorder.holdRollouts = true;
    const deployer = new DeployerClient({ client: harness.client, taskQueue: harness.taskQueue });
    const { requestId } = await deployer.deploy({ project: harness.project, environment: 'ending', imageRef: 'web:1', requestedBy: 'cli-test' });
    await waitFor('the rollout to be held', () => harness.recorder.rolloutsWaiting === 1);
    const waiting = deployer.waitForRelease({ project: harness.project, environment: 'ending' }, requestId, { timeoutMs: 60_000 }).catch((error: unknown) => error);
    await harness.handle('ending').terminate('an operator ended it');
    const failure = await waiting;
    harness.recorder.releaseRollouts();
    expect(failure).toBeInstanceOf(ReleaseFailedError);
    // Not the 60 s timeout's plain Error: the wait saw the workflow end.
    expect((failure as ReleaseFailedError).reason).toBe("the environment's workflow is terminated, not running; send the request again to start a new run");
  });

  it('runs as an executable', () => {
    const help = spawnSync(bin, ['help'], { encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('deployer deploy --project P --env E --image I');
    const bad = spawnSync(bin, ['rollback', '--project', 'p'], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--env is required');
  });
});
