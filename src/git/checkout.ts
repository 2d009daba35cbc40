// The worker's cache of ops repositories. Per repository URL (directory = sha256 of the URL):
//
//   mirror.git/          one bare repository; the branch is fetched into refs/remotes/origin/<branch>
//   checkouts/<sha>/     the files of one commit, complete and never modified once it exists
//   tmp/                 staging for the two above; moved into place with an atomic rename
//
// Environments that share a repository at different commits therefore read different directories,
// and a reader never sees a half-written checkout: either the rename happened or the directory is
// absent. Fetches into the shared mirror are serialised within the process; across processes git's
// own ref locks make a concurrent fetch fail, and that failure is retryable like any fetch error.
import { createHash, randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { OpsRepoSource } from '../domain/vocabulary.js';
import { DependencyUnreachable, userError } from '../domain/errors.js';
import type { GitCredentials } from '../domain/git-credentials.js';
import { withGitCredentials } from './credentials.js';

export interface RepoCache {
  /** where ops repositories are cloned; shared by every environment on this worker */
  repoCacheDir: string;
  /** the credentials git fetches `url` with, if its remote needs any */
  credentialsFor?: (url: string) => Promise<GitCredentials | undefined>;
}

// No output at all from git for this long means it hangs (an unreachable host, a stuck prompt).
const GIT_SILENCE_TIMEOUT_MS = 5 * 60_000;

interface RepoDirs {
  mirror: string;
  checkouts: string;
  staging: string;
}

function repoDirs(cache: RepoCache, url: string): RepoDirs {
  const root = join(cache.repoCacheDir, createHash('sha256').update(url, 'utf8').digest('hex'));
  return { mirror: join(root, 'mirror.git'), checkouts: join(root, 'checkouts'), staging: join(root, 'tmp') };
}

// simple-git strips or refuses environment variables that make git run another program or read
// other configuration (GIT_*, EDITOR, …) and options such as --work-tree, because they are
// dangerous when a caller's input chooses them. Here the environment is the worker's own, set by
// its operator (GIT_SSH_COMMAND with a deploy key, GIT_SSL_CAINFO for an internal CA), and the
// options are ours; repository inputs only reach git as validated URL, branch and SHA arguments.
// The credential helper is ours too (src/git/credentials.ts), set through git's environment.
const workerEnvironmentAllowances = {
  allowUnsafeAskPass: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeEditor: true,
  allowUnsafeExec: true,
  allowUnsafeGitProxy: true,
  allowUnsafePager: true,
  allowUnsafeSshCommand: true,
  allowUnsafeTemplateDir: true,
};

function git(baseDir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  // Never wait for a password on a terminal nobody watches: fail, and let the retry policy act.
  env.GIT_TERMINAL_PROMPT = '0';
  Object.assign(env, extraEnv);
  return simpleGit({
    baseDir,
    timeout: { block: GIT_SILENCE_TIMEOUT_MS },
    unsafe: workerEnvironmentAllowances,
    allowEnvironment: Object.keys(env),
  }).env(env);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Moves a fully prepared directory into place; if another writer got there first, theirs stays. */
async function publish(staged: string, target: string): Promise<void> {
  try {
    await rename(staged, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
    await rm(staged, { recursive: true, force: true });
  }
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task with the same key has settled (this process only). */
function serialised<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

async function ensureMirror(dirs: RepoDirs, url: string): Promise<void> {
  if (await exists(dirs.mirror)) return;
  await mkdir(dirs.staging, { recursive: true });
  const staged = join(dirs.staging, uniqueName('mirror'));
  try {
    await git(dirs.staging).raw(['init', '--bare', '--quiet', staged]);
    const mirror = git(staged);
    await mirror.addRemote('origin', url);
    // A detached background gc could still be writing when the directory is removed or read.
    await mirror.addConfig('gc.autoDetach', 'false');
    await publish(staged, dirs.mirror);
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

// What git prints when the remote cannot be reached or cannot serve right now (connection refused,
// DNS, timeouts, a dropped connection, an HTTP 5xx/429), as opposed to a wrong URL or branch.
const REMOTE_UNREACHABLE =
  /could not resolve host|failed to connect|connection refused|connection timed out|operation timed out|network is unreachable|no route to host|connection reset|the remote end hung up unexpectedly|early eof|unexpected disconnect|unable to connect|returned error: (5\d\d|429)|temporary failure in name resolution/i;

/** Whether a git error message says the remote was unreachable (an outage), not that the request was wrong. */
export function isGitRemoteUnreachable(message: string): boolean {
  return REMOTE_UNREACHABLE.test(message);
}

// What git prints when the remote refused who we are (or we had nothing to offer it): trying again
// with the same credentials cannot help.
const AUTHENTICATION_FAILED =
  /authentication failed|could not read (username|password)|terminal prompts disabled|permission denied \(publickey|host key verification failed|returned error: 40[13]\b|http basic: access denied/i;

/** Whether a git error message says the remote refused the credentials, or wanted some and got none. */
export function isGitAuthenticationFailure(message: string): boolean {
  return AUTHENTICATION_FAILED.test(message);
}

/** Runs a git command that talks to the remote of `url`, with its credentials when it has any. */
async function withRemote<T>(cache: RepoCache, url: string, work: (env: Record<string, string>) => Promise<T>): Promise<T> {
  return withGitCredentials(await cache.credentialsFor?.(url), work);
}

async function fetchBranch(cache: RepoCache, dirs: RepoDirs, source: OpsRepoSource): Promise<void> {
  const refspec = `+refs/heads/${source.branch}:refs/remotes/origin/${source.branch}`;
  try {
    await withRemote(cache, source.url, (env) => git(dirs.mirror, env).raw(['fetch', '--quiet', '--no-tags', 'origin', refspec]));
  } catch (error) {
    const message = (error as Error).message.trim();
    if (/couldn't find remote ref/i.test(message)) {
      throw userError(
        `opsRepo.branch ${JSON.stringify(source.branch)} does not exist in ${source.url}`,
        'InvalidOpsRepo',
      );
    }
    if (isGitAuthenticationFailure(message)) {
      throw userError(
        `git fetch of branch ${JSON.stringify(source.branch)} from ${source.url} was refused: ${message}; ` +
          'give the ops repo its credentials (credentials: an HTTPS token or an SSH key), or check the ones it has',
        'InvalidOpsRepo',
      );
    }
    // An unreachable or failing remote is an outage to wait out; anything else (a lock held by a
    // concurrent fetch) is still worth a retry.
    if (isGitRemoteUnreachable(message)) {
      throw new DependencyUnreachable('git', `git fetch of branch ${JSON.stringify(source.branch)} from ${source.url} failed: ${message}`);
    }
    throw new Error(`git fetch of branch ${JSON.stringify(source.branch)} from ${source.url} failed: ${message}`);
  }
}

/** The commit id `revision` names in the mirror, or undefined when the mirror does not have it. */
async function resolveInMirror(dirs: RepoDirs, revision: string): Promise<string | undefined> {
  const output = await git(dirs.mirror).raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`]).catch(() => '');
  const sha = output.trim();
  return sha === '' ? undefined : sha;
}

/**
 * Runs `read` in the mirror of `url` once every fetch into it queued in this process has finished,
 * so it sees the refs and objects those fetches brought. The mirror must exist.
 */
export async function readMirror<T>(cache: RepoCache, url: string, read: (mirror: SimpleGit) => Promise<T>): Promise<T> {
  const dirs = repoDirs(cache, url);
  return serialised(dirs.mirror, () => read(git(dirs.mirror)));
}

/** Fetches the branch and returns the commit its head points to. */
export async function resolveBranchHead(cache: RepoCache, source: OpsRepoSource): Promise<string> {
  const dirs = repoDirs(cache, source.url);
  return serialised(dirs.mirror, async () => {
    await ensureMirror(dirs, source.url);
    await fetchBranch(cache, dirs, source);
    const sha = await resolveInMirror(dirs, `refs/remotes/origin/${source.branch}`);
    if (!sha) throw new Error(`git fetch of ${source.url} succeeded but refs/remotes/origin/${source.branch} is missing`);
    return sha;
  });
}

/**
 * Makes sure the mirror holds commit `sha`, fetching when it does not. A commit that is still
 * missing after fetching the branch and asking for the commit itself is a user error: the id is
 * wrong, belongs to another repository, or was force-pushed away.
 */
export async function ensureCommit(cache: RepoCache, source: OpsRepoSource, sha: string): Promise<void> {
  const dirs = repoDirs(cache, source.url);
  await serialised(dirs.mirror, async () => {
    await ensureMirror(dirs, source.url);
    if (await resolveInMirror(dirs, sha)) return;
    await fetchBranch(cache, dirs, source);
    if (await resolveInMirror(dirs, sha)) return;
    // Servers may refuse to serve a commit by id; having just fetched successfully, a refusal here
    // means the commit is not available rather than that the network failed.
    await withRemote(cache, source.url, (env) => git(dirs.mirror, env).raw(['fetch', '--quiet', '--no-tags', 'origin', sha])).catch(() => undefined);
    if (await resolveInMirror(dirs, sha)) return;
    throw userError(
      `commit ${sha} does not exist in ${source.url} (branch ${JSON.stringify(source.branch)} was fetched); ` +
        'check the pinned SHA, or whether it was removed by a force-push',
      'InvalidOpsRepo',
    );
  });
}

/** Writes the files of `sha` into a fresh directory, without touching the mirror's own state. */
async function materialise(dirs: RepoDirs, sha: string, target: string): Promise<void> {
  await mkdir(dirs.staging, { recursive: true });
  const staged = join(dirs.staging, uniqueName(sha));
  // A private index per checkout: the mirror has none, and sharing one would race.
  const index = `${staged}.index`;
  try {
    await mkdir(staged);
    const worktree = git(dirs.mirror, { GIT_INDEX_FILE: index });
    await worktree.raw(['--work-tree', staged, 'read-tree', sha]);
    await worktree.raw(['--work-tree', staged, 'checkout-index', '--all', '--force']);
    await mkdir(dirs.checkouts, { recursive: true });
    await publish(staged, target);
  } finally {
    await rm(staged, { recursive: true, force: true });
    await rm(index, { force: true });
  }
}

/**
 * Returns the absolute directory of `source.path` inside an immutable checkout of exactly `sha`,
 * creating the checkout (and fetching the commit) when this worker does not have it yet.
 */
export async function checkoutCommit(cache: RepoCache, source: OpsRepoSource, sha: string): Promise<string> {
  const dirs = repoDirs(cache, source.url);
  const checkout = join(dirs.checkouts, sha);
  if (!(await exists(checkout))) {
    await ensureCommit(cache, source, sha);
    await materialise(dirs, sha, checkout);
  }
  const dir = resolveInside(checkout, source.path, 'opsRepo.path');
  if (dir === undefined || !statSync(dir).isDirectory()) {
    throw userError(
      `opsRepo.path ${JSON.stringify(source.path)} is not a directory at commit ${sha} of ${source.url}`,
      'InvalidPath',
    );
  }
  return dir;
}

/**
 * The real path of `relativePath` under `root`, or undefined when nothing is there. Symlinks are
 * followed, and a result outside `root` is refused: a repository must not make the worker read
 * its own files (credentials, other checkouts) through a link. Synchronous because template
 * loaders are.
 */
export function resolveInside(root: string, relativePath: string, field: string): string | undefined {
  const realRoot = realpathSync(root);
  let real: string;
  try {
    real = realpathSync(join(realRoot, relativePath));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    throw userError(
      `${field} ${JSON.stringify(relativePath)} is or passes through a symlink that points outside the repository; ` +
        'symlinks must stay inside the directory they are read from',
      'InvalidPath',
    );
  }
  return real;
}

