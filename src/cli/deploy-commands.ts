// deploy, rollback, stop, cancel, approve, reject, status, history: requests to an environment's
// workflow, with live progress and an exit code that says how the request ended. After `deployer login` (or with
// DEPLOYER_URL and DEPLOYER_TOKEN) they go through the HTTP API with that token, its checks and
// scopes, audited under the token's name. Without a login they refuse, unless DEPLOYER_DIRECT=1
// sends them straight to Temporal (an operator's break-glass path).
import { DeployerClient, ReleaseFailedError, type Deployer, type ReleaseSummary } from '../client/deployer-client.js';
import { HttpDeployerClient } from '../client/http-deployer-client.js';
import { frontDoor, loadCredentials } from './credentials.js';
import { loadTemporalConfig } from '../config.js';
import { describeRollout } from '../client/describe-rollout.js';
import type { EnvironmentRef, RolloutProgress } from '../domain/vocabulary.js';
import { describeChangeCounts, describeChangedObject, describeFieldChange, describeOmittedFieldChanges, type PreviewedObject, type ReleasePreview } from '../domain/release-preview.js';
import type { EnvironmentState, Release } from '../../workflows/state.js';
import { isSlug, REQUEST_ID_PATTERN, REQUEST_ID_RULE } from '../domain/request-rules.js';
import { integer, jsonObject, parse, required, UsageError } from './args.js';
import { secretChangesOption, secretOptions } from './secret-options.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /**
   * runs the worker process until it stops: handed in by the `deployer` command (bin/deployer),
   * since the worker is what wires the activities and workflows together, above the CLI
   */
  runWorker?: () => Promise<void>;
  /** all of standard input (`notify add --secret-stdin`); absent: the process's own */
  readStdin?: () => Promise<string>;
}

const target = { project: { type: 'string' }, env: { type: 'string' } } as const;
const request = { reason: { type: 'string' }, 'request-id': { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } } as const;
/** A deploy or rollback may pass a freeze window: an admin's call, with a reason. */
const gated = { 'override-freeze': { type: 'boolean' } } as const;

type Door = { api: HttpDeployerClient; temporal?: undefined } | { temporal: DeployerClient; api?: undefined };

/** The API when logged in; Temporal only on the break-glass path (DEPLOYER_DIRECT=1). */
async function open(io: CliIo): Promise<Door> {
  const credentials = await frontDoor(io.env);
  if (credentials) return { api: new HttpDeployerClient(credentials) };
  return { temporal: await DeployerClient.connect(loadTemporalConfig(io.env)) };
}

async function connect(io: CliIo): Promise<Deployer> {
  const door = await open(io);
  return door.api ?? door.temporal;
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

/** --override-freeze, which the history and the audit log keep with its reason. */
function overrideFreeze(values: { 'override-freeze'?: boolean; reason?: string }): { overrideFreeze?: true } {
  if (!values['override-freeze']) return {};
  if (values.reason === undefined) throw new UsageError('--override-freeze needs --reason: say why the freeze is overridden (the history and the audit log keep it)');
  return { overrideFreeze: true };
}

function describeRelease(release: ReleaseSummary): string {
  return `${release.seq !== undefined ? `#${release.seq} ` : ''}${release.imageRef} (${release.status}${release.opsSha ? `, ops ${release.opsSha.slice(0, 12)}` : ''})`;
}

/** Follows the request when --wait is given: 0 when healthy (or stopped), 1 otherwise. */
async function finish(io: CliIo, client: Deployer, key: EnvironmentRef, requestId: string, values: Record<string, unknown>): Promise<number> {
  io.out(`accepted: request ${requestId} for ${key.project}/${key.environment}`);
  if (!values.wait) return 0;
  const timeoutSeconds = integer(values, 'timeout') ?? 600;
  try {
    const { outcome, detail, release } = await client.waitForOutcome(key, requestId, {
      timeoutMs: timeoutSeconds * 1000,
      onProgress: (progress) => io.out(`  ${progress.summary}`),
    });
    if (outcome === 'healthy' && release) {
      io.out(`healthy: ${describeRelease(release)}`);
      return 0;
    }
    if (outcome === 'stopped') {
      io.out(`stopped: ${key.project}/${key.environment} is scaled to zero`);
      return 0;
    }
    io.err(`${outcome}: ${detail ?? release?.error ?? 'no reason given'}`);
    return 1;
  } catch (error) {
    io.err(error instanceof ReleaseFailedError ? error.message : `error: ${(error as Error).message}`);
    return 1;
  }
}

export async function deployCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, ...request, ...gated, image: { type: 'string' }, values: { type: 'string' }, ...secretOptions });
  const key = keyOf(values);
  const imageRef = required(values, 'image');
  const valuesOverride = jsonObject(values, 'values');
  const secrets = await secretChangesOption(values);
  const override = overrideFreeze(values);
  if (secrets && !(await loadCredentials(io.env))) {
    throw new UsageError('--secret-file and --delete-secret go through the API, also on the DEPLOYER_DIRECT=1 path: run `deployer login` first (a signal straight to Temporal would keep them in its history)');
  }
  const client = await connect(io);
  try {
    const { requestId } = await client.deploy({ ...key, imageRef, valuesOverride, secrets, ...override, requestedBy: who(io), reason: values.reason, requestId: values['request-id'] });
    return await finish(io, client, key, requestId, values);
  } finally {
    await client.close();
  }
}

/** What deploying an image would change, object by object and field by field; nothing is sent to the environment. */
export async function diffCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, image: { type: 'string' }, values: { type: 'string' }, json: { type: 'boolean' } });
  const key = keyOf(values);
  const imageRef = required(values, 'image');
  const valuesOverride = jsonObject(values, 'values');
  const client = await connect(io);
  try {
    const preview = await client.preview({ ...key, imageRef, valuesOverride, requestedBy: who(io) });
    if (values.json) {
      io.out(JSON.stringify(preview, null, 2));
      return 0;
    }
    for (const line of formatPreview(key, preview)) io.out(line);
    return 0;
  } finally {
    await client.close();
  }
}

/** Object by object, with the managed fields that change: how `diff` shows a preview and `history --diff` a release. */
function formatChanges(objects: readonly PreviewedObject[], omittedFieldChanges = 0): string[] {
  const lines: string[] = [];
  for (const object of objects) {
    lines.push(describeChangedObject(object));
    for (const change of object.diff ?? []) lines.push(`    ${describeFieldChange(change)}`);
  }
  if (omittedFieldChanges) lines.push(describeOmittedFieldChanges(omittedFieldChanges));
  return lines;
}

function formatPreview(key: EnvironmentRef, preview: ReleasePreview): string[] {
  return [
    `${preview.imageRef} to ${key.project}/${key.environment} at ops ${preview.opsSha.slice(0, 12)}: ${describeChangeCounts(preview.objects)}`,
    ...formatChanges(preview.objects, preview.omittedFieldChanges),
  ];
}

export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, ...request, ...gated, to: { type: 'string' } });
  const key = keyOf(values);
  const toRelease = integer(values, 'to');
  const override = overrideFreeze(values);
  const client = await connect(io);
  try {
    const { requestId } = await client.rollback({ ...key, toRelease, ...override, requestedBy: who(io), reason: values.reason, requestId: values['request-id'] });
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

/** approve or reject: the decision on the request waiting at the environment's approval gate. */
function decisionCommand(decision: 'approve' | 'reject') {
  return async (args: string[], io: CliIo): Promise<number> => {
    const values = parse(args, { ...target, request: { type: 'string' }, reason: { type: 'string' } });
    const key = keyOf(values);
    const requestId = required(values, 'request');
    if (!REQUEST_ID_PATTERN.test(requestId)) throw new UsageError(`--request "${requestId}" ${REQUEST_ID_RULE}: give the id its deploy or rollback answered`);
    const client = await connect(io);
    try {
      const answer = await client[decision]({ ...key, requestId, decidedBy: who(io), reason: values.reason });
      io.out(`${answer.decision}: request ${answer.requestId} for ${key.project}/${key.environment} at ${answer.decidedAt}`);
      return 0;
    } finally {
      await client.close();
    }
  };
}

export const approveCommand = decisionCommand('approve');
export const rejectCommand = decisionCommand('reject');

function formatState(state: EnvironmentState, waitingOn?: string, rollout: RolloutProgress[] = []): string[] {
  const release = (r?: Release) => (r ? describeRelease(r) : '—');
  return [
    `${state.project}/${state.environment}: ${state.status}${state.stopped ? ' (stopped)' : ''}`,
    `  desired:     ${release(state.desired)}`,
    `  current:     ${release(state.current)}`,
    `  waiting for: ${state.waitingFor}${waitingOn ? `; ${waitingOn}` : ''}`,
    ...rollout.map((workload) => `  rollout:     ${describeRollout(workload)}`),
    ...(state.pending ? [`  pending:     ${state.pending.kind} ${state.pending.requestId}`] : []),
  ];
}

/** What the workflow is and says, through whichever door the command line uses. */
async function liveState(
  door: Door,
  key: EnvironmentRef,
): Promise<{ live?: { running: boolean; status: string; wedged?: string; waitingOn?: string }; state?: EnvironmentState; rollout?: RolloutProgress[] }> {
  if (door.temporal) {
    const live = await door.temporal.workflowStatus(key);
    // A wedged workflow answers no query: say why before asking it anything.
    const state = live?.wedged ? undefined : await door.temporal.state(key);
    // The counts are an addition to the state: without them the status is still worth printing.
    return { live, state, rollout: state?.inFlight?.step === 'health' ? await door.temporal.rolloutProgress(key).catch(() => []) : undefined };
  }
  const workflow = await door.api.liveWorkflow(key);
  if (!workflow) return {};
  const running = workflow.status === 'RUNNING';
  return {
    live: { running, status: workflow.status, waitingOn: workflow.waiting_on ?? undefined, wedged: running && !workflow.state ? (workflow.state_error ?? undefined) : undefined },
    state: (workflow.state ?? undefined) as EnvironmentState | undefined,
    rollout: workflow.rollout,
  };
}

async function closeDoor(door: Door): Promise<void> {
  await (door.api ?? door.temporal).close();
}

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, json: { type: 'boolean' } });
  const key = keyOf(values);
  const door = await open(io);
  try {
    const { live, state, rollout = [] } = await liveState(door, key);
    if (live?.wedged) {
      io.err(`${key.project}/${key.environment}: ${live.wedged}`);
      return 1;
    }
    const ended = live !== undefined && !live.running;
    if (!state) {
      io.err(ended ? `${key.project}/${key.environment}: the workflow is ${live.status.toLowerCase()}, not running; the next request starts a new run` : `${key.project}/${key.environment} has received no request yet`);
      return 1;
    }
    if (values.json) io.out(JSON.stringify({ ...state, workflowStatus: live?.status ?? null, waitingOn: live?.waitingOn ?? null, rollout }, null, 2));
    else {
      if (ended) io.out(`${key.project}/${key.environment}: the workflow is ${live.status.toLowerCase()}, not running — below is its last state, not the present; the next request starts a new run`);
      formatState(state, live?.waitingOn, rollout).forEach((line) => io.out(line));
    }
    return ended ? 1 : 0;
  } finally {
    await closeDoor(door);
  }
}

/**
 * The workflow's recent releases, each with what its apply changed as the history keeps it (read
 * through the API: on the break-glass path to Temporal there is no history to read).
 */
export async function historyCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { ...target, json: { type: 'boolean' }, diff: { type: 'boolean' } });
  const key = keyOf(values);
  const door = await open(io);
  try {
    if (values.diff && !door.api) throw new UsageError('--diff shows the changes the history keeps, read through the API: run `deployer login` first');
    const releases = (await liveState(door, key)).state?.releases ?? [];
    const rows = door.api ? await door.api.history(key) : [];
    const rowOf = (release: Release) => rows.find((row) => row.requestId === release.requestId && row.startedAt === new Date(release.startedAt).toISOString());
    const changesOf = (release: Release) => rowOf(release)?.changes;
    if (values.json) {
      io.out(JSON.stringify(door.api ? releases.map((release) => ({ ...release, changes: changesOf(release) ?? null })) : releases, null, 2));
      return 0;
    }
    for (const release of releases) {
      io.out(`${new Date(release.startedAt).toISOString()}  ${release.action.padEnd(13)} ${describeRelease(release)}${release.error ? `  — ${release.error}` : ''}`);
      const approval = rowOf(release)?.approval;
      if (approval) io.out(`    ${approval.decision} by ${approval.by ?? '-'} at ${approval.at}${approval.reason ? `: ${approval.reason}` : ''}`);
      const changes = changesOf(release);
      if (!changes) continue;
      io.out(`    ${describeChangeCounts(changes.objects)}`);
      if (values.diff) for (const line of formatChanges(changes.objects, changes.omittedFieldChanges)) io.out(`      ${line}`);
    }
    return 0;
  } finally {
    await closeDoor(door);
  }
}
