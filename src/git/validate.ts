// Validation of everything about an ops repository that reaches git or the filesystem. Git treats
// many strings as more than data (`ext::` runs commands, a leading `-` becomes an option, `..`
// walks out of the checkout), so only shapes we know to be safe get through. All failures are
// user errors: retrying cannot fix a bad URL, so they are thrown non-retryable.
import type { OpsRepoSource } from '../domain/vocabulary.js';
import { userError } from '../domain/errors.js';

export interface UrlPolicy {
  /** file:// URLs read the worker's own disk: only for local development and tests */
  allowFileUrls: boolean;
}

const MAX_URL_LENGTH = 2048;
const MAX_BRANCH_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;
const CONTROL = /[\u0000-\u001f\u007f]/;
// A DNS name, or a bracketed IPv6 literal as URL parsing leaves it.
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)$/i;
// scp-like `user@host:path`. The user is required: a bare `word:rest` is also how git spells
// remote helpers (`ext::`, `fd::`), so without it the two cannot be told apart safely.
const SCP_LIKE = /^([a-z0-9._][a-z0-9._-]*)@([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?):([^:].*)$/i;

function refuse(type: 'InvalidOpsRepo' | 'InvalidPath', field: string, value: string, problem: string, allowed: string): never {
  throw userError(`${field} ${JSON.stringify(value)} ${problem}; ${allowed}`, type);
}

const URL_ALLOWED = 'allowed are https://host/path (no user name, query or fragment), ssh://[user@]host/path and user@host:path';

/** Returns the URL unchanged when git may be pointed at it; the cache is keyed by the exact string. */
export function validateOpsRepoUrl(url: string, policy: UrlPolicy): string {
  const allowed = policy.allowFileUrls ? `${URL_ALLOWED}, and file:///path` : `${URL_ALLOWED} (file:// is disabled on this worker)`;
  const fail = (problem: string): never => refuse('InvalidOpsRepo', 'opsRepo.url', redactUrl(url), problem, allowed);

  if (url.length === 0) fail('is empty');
  if (url.length > MAX_URL_LENGTH) fail(`is longer than ${MAX_URL_LENGTH} characters`);
  if (url.startsWith('-')) fail('starts with "-", which git would read as an option');
  const helper = /^([a-z][a-z0-9+.-]*)::/i.exec(url)?.[1];
  if (helper) fail(`uses the git remote helper ${helper}::, which can run arbitrary commands`);
  if (WHITESPACE_OR_CONTROL.test(url)) fail('contains whitespace or control characters');

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const scp = SCP_LIKE.exec(url);
    if (!scp) fail('is neither a URL with an allowed scheme nor user@host:path');
    if (scp![3]!.startsWith('-')) fail('has a repository path starting with "-"');
    return url;
  }

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('is not a well-formed URL');
  }
  switch (scheme) {
    case 'https':
    case 'ssh':
      if (!HOST.test(parsed.hostname)) fail(`has an invalid host ${JSON.stringify(parsed.hostname)}`);
      if (parsed.pathname.length <= 1) fail('names no repository path');
      if (parsed.username.startsWith('-')) fail('has a user name starting with "-"');
      // A secret in the URL would be copied into workflow history, Postgres, API answers and error
      // messages. Over HTTPS a user name is where tokens go (https://TOKEN@host/…); over SSH it is
      // the account the key logs in as (git@), not a secret.
      if (parsed.password !== '') fail('carries a password; configure git credentials on the worker instead');
      if (scheme === 'https' && parsed.username !== '') fail('carries a user name, where HTTPS tokens go; configure git credentials on the worker instead');
      if (url.includes('?')) fail('has a query, which can carry a token and names no repository');
      if (url.includes('#')) fail('has a fragment, which git does not use');
      return url;
    case 'file':
      if (!policy.allowFileUrls) fail('uses file://, which this worker does not allow');
      if (parsed.hostname !== '' && parsed.hostname !== 'localhost') fail('names a host; file:// URLs must be local');
      if (parsed.pathname.length <= 1) fail('names no repository path');
      return url;
    default:
      return fail(`uses the ${scheme}:// transport`);
  }
}

/** The URL as it may be shown: no password, no HTTPS user name (a token), no query. */
function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@')
    .replace(/^(https:\/\/)[^/@]+@/i, '$1***@')
    .replace(/\?[^#]*/, '?***');
}

// The rules of `git check-ref-format --branch`, each with the reason we report.
const BRANCH_RULES: Array<[RegExp, string]> = [
  [/^-/, 'starts with "-", which git would read as an option'],
  [/[\u0000-\u0020\u007f]/, 'contains a space or control character'],
  [/[~^:?*[\\]/, 'contains one of ~ ^ : ? * [ \\'],
  [/\.\./, 'contains ".."'],
  [/@\{/, 'contains "@{"'],
  [/^\/|\/$|\/\//, 'starts or ends with "/" or contains "//"'],
  [/\.$/, 'ends with "."'],
  [/(?:^|\/)\./, 'has a path component starting with "."'],
  [/\.lock(?:\/|$)/, 'has a path component ending with ".lock"'],
  [/^(?:HEAD|@)$/, 'is a reserved name'],
];

export function validateBranch(branch: string): string {
  const allowed = 'a branch name must be a valid git ref name (see git check-ref-format)';
  if (branch.length === 0) refuse('InvalidOpsRepo', 'opsRepo.branch', branch, 'is empty', allowed);
  if (branch.length > MAX_BRANCH_LENGTH) {
    refuse('InvalidOpsRepo', 'opsRepo.branch', branch, `is longer than ${MAX_BRANCH_LENGTH} characters`, allowed);
  }
  for (const [pattern, problem] of BRANCH_RULES) {
    if (pattern.test(branch)) refuse('InvalidOpsRepo', 'opsRepo.branch', branch, problem, allowed);
  }
  return branch;
}

/** A full commit id (SHA-1, or SHA-256 for repositories in that format); returned in lower case. */
export function validateCommitSha(field: string, sha: string): string {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(sha)) {
    refuse('InvalidOpsRepo', field, sha, 'is not a full commit id', 'give all 40 (or 64) hexadecimal digits');
  }
  return sha.toLowerCase();
}

/**
 * A path inside the repository, normalised to `a/b/c` ('' for the root when `allowRoot`). Absolute
 * paths and `..` segments are refused outright rather than resolved, so a path either obviously
 * stays inside or is rejected; symlinks are checked separately when files are read.
 */
export function validateRepoPath(field: string, value: string, options: { allowRoot: boolean }): string {
  const allowed = 'use a relative path inside the repository, without ".." segments';
  if (value.length > MAX_PATH_LENGTH) refuse('InvalidPath', field, value, `is longer than ${MAX_PATH_LENGTH} characters`, allowed);
  if (CONTROL.test(value)) refuse('InvalidPath', field, value, 'contains control characters', allowed);
  if (/^(?:[/\\]|[a-z]:)/i.test(value)) refuse('InvalidPath', field, value, 'is absolute', allowed);
  const segments = value.split(/[/\\]/);
  if (segments.includes('..')) refuse('InvalidPath', field, value, 'leaves the repository through ".."', allowed);
  const normalised = segments.filter((segment) => segment !== '' && segment !== '.').join('/');
  if (!options.allowRoot && normalised === '') refuse('InvalidPath', field, value, 'names no file', allowed);
  return normalised;
}

/** The source with its path normalised; throws on the first invalid field. */
export function validateOpsRepoSource(source: OpsRepoSource, policy: UrlPolicy): OpsRepoSource {
  return {
    url: validateOpsRepoUrl(source.url, policy),
    branch: validateBranch(source.branch),
    path: validateRepoPath('opsRepo.path', source.path, { allowRoot: true }),
  };
}
