// The deployer's own processes as the benchmarks run them: the real entry points
// (`node --import tsx worker/main.ts`, `src/server.ts`) of the checkout under test, configured
// only through the environment variables of src/config.ts, their logs in the run's directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

import { freePort } from '../../scripts/stack/free-port.js';

export interface DeployerProcess {
  name: string;
  pid: number;
  /** where its /healthz (and /metrics) answer */
  baseUrl: string;
  logFile: string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after 15 s */
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  codeDir: string;
  /** the entry point, relative to codeDir */
  entry: 'worker/main.ts' | 'src/worker.ts' | 'src/server.ts';
  env: Record<string, string>;
  /** the env variable that names its port */
  portVariable: 'DEPLOYER_WORKER_METRICS_PORT' | 'DEPLOYER_API_PORT';
  logDir: string;
}

export async function startDeployerProcess(options: StartOptions): Promise<DeployerProcess> {
  const port = await freePort();
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: options.codeDir,
    env: { ...process.env, ...options.env, DEPLOYER_API_HOST: '127.0.0.1', [options.portVariable]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000; // bundling the workflows takes a while on two busy cores
  for (;;) {
    if (!alive()) throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) before serving /healthz; see ${logFile}`);
    if ((await fetch(`${baseUrl}/healthz`).catch(() => undefined))?.ok) break;
    if (Date.now() > deadline) throw new Error(`${options.name} did not serve /healthz within 120 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    name: options.name,
    pid: child.pid!,
    baseUrl,
    logFile,
    alive,
    async stop() {
      if (alive()) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      log.end();
    },
  };
}
