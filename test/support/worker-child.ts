// The real worker as a child process (worker/main.ts through test/support/worker-process.ts) with
// a pre-built workflow bundle: what fault tests kill -9 and what tests of the worker's own logs,
// metrics and readiness talk to. Its JSON log lines are kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../scripts/stack/wait.js';
import { workflowBundle } from '../workflow/harness.js';
import { testEnv } from './env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

import { freePort } from '../../scripts/stack/free-port.js';

/** Writes today's workflow bundle (or `code`) into `dir`, for worker processes to load without bundling. */
export async function writeWorkflowBundle(dir: string, code?: string): Promise<string> {
  const file = join(dir, 'workflow-bundle.js');
  await writeFile(file, code ?? (await workflowBundle()).code);
  return file;
}

export interface WorkerChild {
  readonly pid: number;
  /** where its /metrics, /healthz and /readyz answer */
  readonly baseUrl: string;
  /** its stdout lines so far (JSON log lines) */
  readonly stdout: string[];
  stderr(): string;
  alive(): boolean;
  /** resolves with the exit code or signal once it exited */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** SIGKILL: a crash or a lost node, no shutdown of any kind */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s */
  stop(): Promise<void>;
}

export interface WorkerChildOptions {
  bundleFile: string;
  taskQueue: string;
  /** more environment (DEPLOYER_REPO_CACHE_DIR, DEPLOYER_ALLOW_FILE_URLS, …) */
  env?: Record<string, string>;
  /** wait for /healthz (default) or not at all */
  waitUntilServing?: boolean;
}

export async function startWorkerChild(options: WorkerChildOptions): Promise<WorkerChild> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts', options.bundleFile], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: testEnv.databaseUrl,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      KUBECONFIG: testEnv.kubeconfig,
      DEPLOYER_TASK_QUEUE: options.taskQueue,
      DEPLOYER_API_HOST: '127.0.0.1',
      DEPLOYER_WORKER_METRICS_PORT: String(port),
      DEPLOYER_LOG_LEVEL: 'info',
      // The test database holds the ops repos of every earlier run, most of them long deleted.
      DEPLOYER_START_POLLERS: 'false',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const worker: WorkerChild = {
    pid: child.pid!,
    baseUrl,
    stdout,
    stderr: () => stderr,
    alive,
    exited,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
  if (options.waitUntilServing !== false) {
    await waitFor('the worker process to serve /healthz', async () => {
      if (!alive()) throw new Error(`the worker process exited (${child.exitCode ?? child.signalCode}): ${stderr.slice(-2000)}`);
      return (await fetch(`${baseUrl}/healthz`).catch(() => undefined))?.ok ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
  }
  return worker;
}
