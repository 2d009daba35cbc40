// Temporal: a server the user already runs (TEMPORAL_ADDRESS), else the `temporal` CLI's dev
// server (SQLite file under .data/, UI on) from PATH, the cache, or built with `go install`.
import { Connection } from '@temporalio/client';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { inDir, onPath, requireGo, runBuild, versionOf } from './binaries.js';
import { paths, ports, temporalSearchAttributes, versions } from './layout.js';
import { runningPid, startProcess, stopProcess } from './processes.js';
import { awaitService } from './await-service.js';
import { waitFor } from './wait.js';

const SERVICE = 'temporal';
export const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';

export function temporalAddress(): string {
  return process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${ports.temporal}`;
}

export function temporalUiUrl(): string | undefined {
  return process.env.TEMPORAL_ADDRESS ? undefined : `http://127.0.0.1:${ports.temporalUi}`;
}

export async function obtainTemporalCli(): Promise<{ binary: string; source: string }> {
  const fromPath = onPath('temporal');
  if (fromPath) return { binary: fromPath, source: `temporal on PATH (${fromPath})` };
  const cached = inDir(paths.temporalBinDir, 'temporal');
  if (cached) return { binary: cached, source: `cache (${cached})` };
  const go = requireGo(
    'The Temporal CLI',
    'Install the `temporal` CLI on PATH, set TEMPORAL_ADDRESS to a running Temporal server, or install Go 1.26+.',
  );
  await runBuild(`temporal CLI ${versions.temporalCli}`, go, [
    'install',
    '-trimpath',
    '-ldflags=-s -w',
    `github.com/temporalio/cli/cmd/temporal@v${versions.temporalCli}`,
  ], { GOBIN: paths.temporalBinDir });
  return { binary: inDir(paths.temporalBinDir, 'temporal')!, source: `built into ${paths.temporalBinDir}` };
}

async function answers(): Promise<boolean> {
  const connection = await Connection.connect({ address: temporalAddress(), connectTimeout: 2_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

/** For a server we did not start, make sure the workflow's search attributes exist. */
async function ensureSearchAttributes(): Promise<void> {
  const connection = await Connection.connect({ address: temporalAddress() });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = temporalSearchAttributes.filter((name) => !customAttributes?.[name]);
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, 2 /* KEYWORD */])),
    });
    console.log(`[stack] temporal: registered search attributes ${missing.join(', ')}`);
  } finally {
    await connection.close();
  }
}

export interface TemporalBinary {
  binary: string;
  source: string;
}

/** What must exist before the server can start: the CLI, built when missing. Nothing for a server the user runs. */
export async function prepareTemporal(): Promise<TemporalBinary | undefined> {
  return process.env.TEMPORAL_ADDRESS ? undefined : obtainTemporalCli();
}

export async function upTemporal(prepared?: TemporalBinary): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) {
    await waitFor(`Temporal at TEMPORAL_ADDRESS=${temporalAddress()}`, answers, { timeoutMs: 15_000 });
    await ensureSearchAttributes();
    return `using the Temporal server at TEMPORAL_ADDRESS=${temporalAddress()}`;
  }
  return startTemporalDevServer(prepared);
}

/** Starts the stack's own dev server (unless it runs) and waits for it to answer. */
export async function startTemporalDevServer(prepared?: TemporalBinary): Promise<string> {
  const { binary, source } = prepared ?? (await obtainTemporalCli());
  if (runningPid(SERVICE, 'temporal') === undefined) {
    mkdirSync(dirname(paths.temporalDb), { recursive: true });
    startProcess({
      name: SERVICE,
      command: binary,
      args: [
        'server', 'start-dev',
        '--ip', '127.0.0.1',
        '--port', String(ports.temporal),
        '--ui-port', String(ports.temporalUi),
        '--db-filename', paths.temporalDb,
        '--namespace', namespace,
        '--log-level', 'warn',
        // A workflow task that schedules an activity gets the activity back in its own answer
        // when the worker has a free slot: one trip through matching fewer per step of a release.
        '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
        ...temporalSearchAttributes.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
      ],
    });
  }
  await awaitService('the Temporal dev server to answer', answers, { service: SERVICE, command: 'temporal' });
  return `dev server at ${temporalAddress()}, UI ${temporalUiUrl()} — ${source}, ${versionOf(binary)}`;
}

export async function statusTemporal(): Promise<{ ok: boolean; line: string }> {
  try {
    await answers();
    return { ok: true, line: `temporal   ok    ${temporalAddress()} namespace ${namespace}` };
  } catch (error) {
    return { ok: false, line: `temporal   DOWN  ${temporalAddress()}: ${(error as Error).message}` };
  }
}

export async function downTemporal(): Promise<boolean> {
  return stopProcess(SERVICE, 'temporal');
}
