// deploy, rollback, stop, cancel, status, history: requests to an environment's workflow through
// the SDK, with live progress and an exit code that says how the request ended.
import { DeployerClient, ReleaseFailedError } from '../client/deployer-client.js';
import { loadTemporalConfig } from '../config.js';
import type { EnvironmentRef } from '../domain/vocabulary.js';
import type { EnvironmentState, Release } from '../../workflows/state.js';
import { isSlug } from '../domain/request-rules.js';
import { integer, jsonObject, parse, required, UsageError } from './args.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /**
   * runs the worker process until it stops: handed in by the `deployer` command (bin/deployer),
   * since the worker is what wires the activities and workflows together, above the CLI
   */
  runWorker?: () => Promise<void>;
}

const target = { project: { type: 'string' }, env: { type: 'string' } } as const;
const request = { reason: { type: 'string' }, 'request-id': { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } } as const;

async function connect(io: CliIo): Promise<DeployerClient> {
  return DeployerClient.connect(loadTemporalConfig(io.env));
}

function keyOf(values: Record<string, unknown>): EnvironmentRef {
  const key = { project: required(values, 'project'), environment: required(values, 'env') };
  for (const [option, value] of [['project', key.project], ['env', key.environment]] as const) {
    if (!isSlug(value)) throw new UsageError(`--${option} "${value}" must be a slug: lower-case letters, digits and "-", 1-63 characters, starting and ending with a letter or digit`);
  }
  return key;
}

function who(io: CliIo): string {
  return io.env.DEPLOYER_USER ?? io.env.USER ?? 'cli';
}

function describeRelease(release: Release): string {
  return `#${release.seq} ${release.imageRef} (${release.status}${release.opsSha ? `, ops ${release.opsSha.slice(0, 12)}` : ''})`;
}

/** Follows the request when --wait is given: 0 when healthy (or stopped), 1 otherwise. */
async function finish(io: CliIo, client: DeployerClient, key: EnvironmentRef, requestId: string, values: Record<string, unknown>): Promise<number> {
  io.out(`accepted: request ${requestId} for ${key.project}/${key.environment}`);
  if (!values.wait) return 0;
  const timeoutSeconds = integer(values, 'timeout') ?? 600;
  try {
    const { request, release } = await client.waitForRequest(key, requestId, {
      timeoutMs: timeoutSeconds * 1000,
      onProgress: (progress) => io.out(`  ${progress.summary}`),
    });
    if (request.outcome === 'healthy' && release) {
      io.out(`healthy: ${describeRelease(release)}`);
      return 0;
    }
    if (request.outcome === 'stopped') {
      io.out(`stopped: ${key.project}/${key.environment} is scaled to zero`);
      return 0;
    }
    io.err(`${request.outcome}: ${request.detail ?? release?.error ?? 'no reason given'}`);
    return 1;
  } catch (error) {
    io.err(error instanceof ReleaseFailedError ? error.message : `error: ${(error as Error).message}`);
    return 1;
  }
}

export async function deployCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, ...request, image: { type: 'string' }, values: { type: 'string' } });
  const key = keyOf(values);
  const imageRef = required(values, 'image');
  const valuesOverride = jsonObject(values, 'values');
  const client = await connect(io);
  try {
    const { requestId } = await client.deploy({ ...key, imageRef, valuesOverride, requestedBy: who(io), reason: values.reason, requestId: values['request-id'] });
    return await finish(io, client, key, requestId, values);
  } finally {
    await client.close();
  }
}

export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, ...request, to: { type: 'string' } });
  const key = keyOf(values);
  const toRelease = integer(values, 'to');
  const client = await connect(io);
  try {
    const { requestId } = await client.rollback({ ...key, toRelease, requestedBy: who(io), reason: values.reason, requestId: values['request-id'] });
    return await finish(io, client, key, requestId, values);
  } finally {
    await client.close();
  }
}

export async function stopCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, ...request });
  const key = keyOf(values);
  const client = await connect(io);
  try {
    const { requestId } = await client.stop({ ...key, requestedBy: who(io), reason: values.reason, requestId: values['request-id'] });
    return await finish(io, client, key, requestId, values);
  } finally {
    await client.close();
  }
}

export async function cancelCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, reason: { type: 'string' }, 'request-id': { type: 'string' } });
  const key = keyOf(values);
  const client = await connect(io);
  try {
    const { requestId } = await client.cancel({ ...key, requestedBy: who(io), reason: values.reason, requestId: values['request-id'] });
    io.out(`accepted: cancel ${requestId} for ${key.project}/${key.environment}`);
    return 0;
  } finally {
    await client.close();
  }
}

function formatState(state: EnvironmentState, waitingOn?: string): string[] {
  const release = (r?: Release) => (r ? describeRelease(r) : '—');
  return [
    `${state.project}/${state.environment}: ${state.status}${state.stopped ? ' (stopped)' : ''}`,
    `  desired:     ${release(state.desired)}`,
    `  current:     ${release(state.current)}`,
    `  waiting for: ${state.waitingFor}${waitingOn ? `; ${waitingOn}` : ''}`,
    ...(state.pending ? [`  pending:     ${state.pending.kind} ${state.pending.requestId}`] : []),
  ];
}

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, json: { type: 'boolean' } });
  const key = keyOf(values);
  const client = await connect(io);
  try {
    // A wedged workflow answers no query: say why before asking it anything.
    const live = await client.workflowStatus(key);
    if (live?.wedged) {
      io.err(`${key.project}/${key.environment}: ${live.wedged}`);
      return 1;
    }
    const state = await client.state(key);
    if (!state) {
      io.err(`${key.project}/${key.environment} has received no request yet`);
      return 1;
    }
    const ended = live !== undefined && !live.running;
    if (values.json) io.out(JSON.stringify({ ...state, workflowStatus: live?.status ?? null, waitingOn: live?.waitingOn ?? null }, null, 2));
    else {
      if (ended) io.out(`${key.project}/${key.environment}: the workflow is ${live.status.toLowerCase()}, not running — below is its last state, not the present; the next request starts a new run`);
      formatState(state, live?.waitingOn).forEach((line) => io.out(line));
    }
    return ended ? 1 : 0;
  } finally {
    await client.close();
  }
}

export async function historyCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, json: { type: 'boolean' } });
  const key = keyOf(values);
  const client = await connect(io);
  try {
    const releases = await client.history(key);
    if (values.json) io.out(JSON.stringify(releases, null, 2));
    else for (const r of releases) io.out(`${new Date(r.startedAt).toISOString()}  ${r.action.padEnd(13)} ${describeRelease(r)}${r.error ? `  — ${r.error}` : ''}`);
    return 0;
  } finally {
    await client.close();
  }
}
