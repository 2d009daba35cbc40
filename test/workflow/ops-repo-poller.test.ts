// The ops repo poller's loop on the stack's Temporal, with a scripted activity in place of git: it
// polls at the interval the activity returns, at once on a poll-now signal, survives failing polls,
// continues as new with the head it saw, ends when no ops repo uses its branch any more, and answers
// a sync with the outcome of a poll that started after the sync arrived.
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PollOpsRepoInput, PollOpsRepoResult } from '../../activities/types.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { opsRepoPollerId, pollOpsRepoNow, startOpsRepoPoller, syncOpsRepoNow } from '../../src/client/ops-repo-poller.js';
import { POLLS_PER_RUN } from '../../src/domain/ops-repo-poller.js';
import { backgroundTaskQueue } from '../../workflows/messages.js';
import { pollerStateQuery } from '../../workflows/ops-repo-poller-messages.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { historiesDir, workflowBundle } from './harness.js';
import { workerTuning } from '../../src/worker-tuning.js';

const sha = (n: number) => n.toString(16).padStart(40, '0');

interface Poll {
  input: PollOpsRepoInput;
  at: number;
}

class PollerTest {
  readonly taskQueue = `poller-test-${uniqueSuffix()}`;
  readonly url = `https://git.example.com/poller-${uniqueSuffix()}.git`;
  readonly branch = 'main';
  readonly polls: Poll[] = [];
  /** what the next polls answer; the last one repeats */
  script: Array<(input: PollOpsRepoInput) => PollOpsRepoResult | Promise<PollOpsRepoResult>> = [];
  private workers: Worker[] = [];
  private running?: Promise<unknown>;

  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    private readonly nativeConnection: NativeConnection,
  ) {}

  static async create(): Promise<PollerTest> {
    installQuietRuntime();
    const connection = await Connection.connect({ address: testEnv.temporalAddress });
    const nativeConnection = await NativeConnection.connect({ address: testEnv.temporalAddress });
    const test = new PollerTest(new Client({ connection, namespace: testEnv.temporalNamespace }), connection, nativeConnection);
    const activities = {
      pollOpsRepo: async (input: PollOpsRepoInput) => {
        test.polls.push({ input, at: Date.now() });
        const answer = test.script.length > 1 ? test.script.shift()! : test.script[0];
        if (!answer) throw new Error('no scripted answer');
        return answer(input);
      },
    };
    const common = { connection: nativeConnection, namespace: testEnv.temporalNamespace, shutdownGraceTime: '1 second', ...workerTuning };
    // The poller's activity runs on the background queue, like the drift passes it causes.
    test.workers = [
      await Worker.create({ ...common, taskQueue: test.taskQueue, workflowBundle: await workflowBundle() }),
      await Worker.create({ ...common, taskQueue: backgroundTaskQueue(test.taskQueue), activities }),
    ];
    test.running = Promise.all(test.workers.map((worker) => worker.run()));
    return test;
  }

  get target() {
    return { url: this.url, branch: this.branch, taskQueue: this.taskQueue };
  }

  handle() {
    return this.client.workflow.getHandle(opsRepoPollerId(this.url, this.branch));
  }

  state() {
    return this.handle().query(pollerStateQuery);
  }

  async close(testName: string): Promise<void> {
    const id = opsRepoPollerId(this.url, this.branch);
    if (process.env.DEPLOYER_RECORD_HISTORIES) await this.exportHistories(id, testName);
    await this.handle().terminate('test finished').catch(() => undefined);
    for (const worker of this.workers) worker.shutdown();
    await this.running;
    await this.nativeConnection.close();
    await this.connection.close();
  }

  /** Each run of the poller becomes a history the replay suite replays; one already there is kept. */
  private async exportHistories(id: string, testName: string): Promise<void> {
    const name = testName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
    await mkdir(historiesDir, { recursive: true });
    let index = 0;
    for await (const execution of this.client.workflow.list({ query: `WorkflowId = "${id}"` })) {
      const history = await this.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      index += 1;
      const file = join(historiesDir, `ops-repo-poller--${name}-${index}.json`);
      await writeFile(file, historyToJSON(history), { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  }
}

const moved = (head: string, intervalMs: number): PollOpsRepoResult => ({ retired: false, sha: head, intervalMs, signalled: 1, notRunning: 0 });

let test: PollerTest | undefined;
let testName = '';
afterEach(async () => {
  await test?.close(testName);
  test = undefined;
});

/** The next poll waits until released, then finds `first`; the one after finds `then`. */
function holdNextPoll(t: PollerTest, first: string, then: string): () => void {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  t.script = [
    async () => {
      await held;
      return moved(first, 60_000);
    },
    () => moved(then, 60_000),
  ];
  return release;
}

async function start(name: string): Promise<PollerTest> {
  testName = name;
  test = await PollerTest.create();
  return test;
}

describe('the ops repo poller', () => {
  it('polls every interval, at once on a poll-now signal, and hands each poll the head the last one saw', async () => {
    const t = await start('polls every interval and at once on a signal');
    t.script = [() => moved(sha(1), 300), () => moved(sha(2), 60_000)];
    await startOpsRepoPoller(t.client, t.target);
    await startOpsRepoPoller(t.client, t.target); // a second start (another worker, the API) finds it running

    await waitFor('two polls, 300 ms apart', () => t.polls.length >= 2, { timeoutMs: 10_000 });
    expect(t.polls[0]!.input).toEqual({ url: t.url, branch: 'main', previousSha: undefined, trigger: undefined });
    expect(t.polls[1]!.input.previousSha).toBe(sha(1));
    expect(t.polls[1]!.at - t.polls[0]!.at).toBeGreaterThanOrEqual(250);
    const idle = await waitFor('the 60 s interval', async () => ((await t.state()).intervalMs === 60_000 ? t.state() : undefined));
    expect(idle).toMatchObject({ lastSha: sha(2), wanted: [] });

    t.script = [() => moved(sha(3), 60_000)];
    const sentAt = Date.now();
    await pollOpsRepoNow(t.client, t.target, 'github push to main (00000003) by alice');
    await waitFor('the poll the signal asked for', () => t.polls.length >= 3, { timeoutMs: 10_000 });
    expect(t.polls[2]!.at - sentAt).toBeLessThan(5_000);
    expect(t.polls[2]!.input).toMatchObject({ previousSha: sha(2), trigger: 'github push to main (00000003) by alice' });
    expect(await waitFor('the new head', async () => ((await t.state()).lastSha === sha(3) ? t.state() : undefined))).toMatchObject({ wanted: [] });
  });

  it('keeps polling after a failed poll, and says why it failed until one succeeds', async () => {
    const t = await start('keeps polling after a failed poll');
    t.script = [
      () => moved(sha(1), 200),
      () => {
        throw ApplicationFailure.nonRetryable('opsRepo.branch "main" does not exist in https://git.example.com/x.git', 'InvalidOpsRepo');
      },
      () => moved(sha(2), 60_000),
    ];
    await startOpsRepoPoller(t.client, t.target);
    const failed = await waitFor('the failure in the state', async () => ((await t.state()).lastError ? t.state() : undefined), { timeoutMs: 10_000 });
    expect(failed.lastError).toContain('does not exist');
    expect(failed.lastSha).toBe(sha(1));
    const recovered = await waitFor('a poll that succeeds', async () => {
      const state = await t.state();
      return state.lastSha === sha(2) ? state : undefined;
    }, { timeoutMs: 10_000 });
    expect(recovered.lastError).toBeUndefined();
    // The failed poll did not lose the head: the next one counted changes from it.
    expect(t.polls.at(-1)!.input.previousSha).toBe(sha(1));
  });

  it('continues as new with the head it saw, and ends when no ops repo uses the branch', async () => {
    const t = await start('continues as new and ends when retired');
    t.script = [() => moved(sha(7), 60_000)];
    const { firstExecutionRunId } = await startOpsRepoPoller(t.client, t.target);
    // Pushes make the polls here, each waiting for the one before: a run ends after POLLS_PER_RUN.
    while ((await t.handle().describe()).runId === firstExecutionRunId) {
      const before = t.polls.length;
      await pollOpsRepoNow(t.client, t.target, `push ${before}`);
      await waitFor(`poll ${before + 1}`, () => t.polls.length > before, { timeoutMs: 10_000, intervalMs: 10 });
      expect(t.polls.length).toBeLessThanOrEqual(POLLS_PER_RUN + 1);
    }
    const firstOfNextRun = t.polls[POLLS_PER_RUN]!;
    expect(firstOfNextRun.input.previousSha).toBe(sha(7));
    expect(t.polls[0]!.input.previousSha).toBeUndefined();

    t.script = [() => ({ retired: true, intervalMs: 60_000, signalled: 0, notRunning: 0 })];
    await pollOpsRepoNow(t.client, t.target, 'the last push');
    await waitFor('the poller to end', async () => (await t.handle().describe()).status.name === 'COMPLETED', { timeoutMs: 10_000 });
  });

  it('answers a sync with the outcome of a poll that started after it: the head, a user error, an outage, retirement', async () => {
    const t = await start('answers a sync with the outcome of its poll');
    t.script = [() => moved(sha(1), 60_000)];
    // Update-with-start: the sync starts the poller that does not run yet.
    expect(await syncOpsRepoNow(t.client, t.target, 'sync asked by alice')).toMatchObject({ ok: true, sha: sha(1) });
    expect(t.polls.at(-1)!.input.trigger).toContain('sync asked by alice');

    // A sync arriving while a poll runs waits for the next poll, not the one already fetching.
    const release = holdNextPoll(t, sha(2), sha(3));
    await pollOpsRepoNow(t.client, t.target, 'a push');
    await waitFor('the held poll', () => t.polls.length === 2, { timeoutMs: 10_000 });
    const during = syncOpsRepoNow(t.client, t.target, 'sync during a poll');
    await waitFor('the sync to be wanted', async () => (await t.state()).wanted.includes('sync during a poll'), { timeoutMs: 10_000 });
    release();
    expect(await during).toMatchObject({ ok: true, sha: sha(3) });
    expect(t.polls).toHaveLength(3);

    t.script = [
      () => {
        throw ApplicationFailure.nonRetryable('opsRepo.branch "main" does not exist in https://git.example.com/x.git', 'InvalidOpsRepo');
      },
    ];
    expect(await syncOpsRepoNow(t.client, t.target, 'sync of a deleted branch')).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('does not exist') });

    t.script = [
      () => {
        throw ApplicationFailure.retryable('git fetch failed: Connection refused', 'GitUnreachable');
      },
    ];
    const outage = await syncOpsRepoNow(t.client, t.target, 'sync while the remote is down');
    expect(outage).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('Connection refused') });

    t.script = [() => ({ retired: true, intervalMs: 60_000, signalled: 0, notRunning: 0 })];
    expect(await syncOpsRepoNow(t.client, t.target, 'sync of a removed repo')).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('no ops repo uses branch main') });
    await waitFor('the poller to end', async () => (await t.handle().describe()).status.name === 'COMPLETED', { timeoutMs: 10_000 });
  });

  it('answers a sync that arrives as the run is due to continue as new before it continues', async () => {
    const t = await start('answers a sync before continuing as new');
    t.script = [() => moved(sha(1), 60_000)];
    const { firstExecutionRunId } = await startOpsRepoPoller(t.client, t.target);
    await waitFor('the first poll', () => t.polls.length === 1, { timeoutMs: 10_000 });
    while (t.polls.length < POLLS_PER_RUN - 1) {
      const before = t.polls.length;
      await pollOpsRepoNow(t.client, t.target, `push ${before}`);
      await waitFor(`poll ${before + 1}`, () => t.polls.length > before, { timeoutMs: 10_000, intervalMs: 10 });
    }
    // The run's last poll is held while a sync arrives: that sync is owed the poll after it.
    const release = holdNextPoll(t, sha(2), sha(3));
    await pollOpsRepoNow(t.client, t.target, 'the last push of the run');
    await waitFor('the run\'s last poll', () => t.polls.length === POLLS_PER_RUN, { timeoutMs: 10_000 });
    const sync = syncOpsRepoNow(t.client, t.target, 'sync at the end of a run', { timeoutMs: 30_000 });
    await waitFor('the sync to be wanted', async () => (await t.state()).wanted.includes('sync at the end of a run'), { timeoutMs: 10_000 });
    release();
    expect(await sync).toMatchObject({ ok: true, sha: sha(3) });
    expect((await t.handle().describe()).runId).toBe(firstExecutionRunId);

    // With no sync waiting, the next wake-up continues as new, carrying the head and the push.
    await pollOpsRepoNow(t.client, t.target, 'the first push of the next run');
    await waitFor('the next run', async () => (await t.handle().describe()).runId !== firstExecutionRunId, { timeoutMs: 10_000 });
    await waitFor('its first poll', () => t.polls.length === POLLS_PER_RUN + 2, { timeoutMs: 10_000 });
    expect(t.polls.at(-1)!.input).toMatchObject({ previousSha: sha(3), trigger: 'the first push of the next run' });
  });
});
