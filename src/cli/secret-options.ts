// Secrets on the command line come from files: a value in an argument would show in `ps` and in the
// shell's history. `--secret-file NAME=FILE` sets one (repeatable), `--delete-secret NAME` deletes
// one; ops repo credentials come from `--https-token-file` or `--ssh-key-file` alike.
import { readFile } from 'node:fs/promises';
import type { GitCredentials } from '../domain/git-credentials.js';
import { secretNameProblem, secretValueProblem, type SecretChanges } from '../domain/secrets.js';
import { UsageError } from './args.js';

export const secretOptions = {
  'secret-file': { type: 'string', multiple: true },
  'delete-secret': { type: 'string', multiple: true },
} as const;

export const credentialOptions = {
  'https-user': { type: 'string' },
  'https-token-file': { type: 'string' },
  'ssh-key-file': { type: 'string' },
  'ssh-known-hosts-file': { type: 'string' },
  'clear-credentials': { type: 'boolean' },
} as const;

/** A file's content, without the one line break editors and `echo` leave at its end. */
async function readSecretFile(option: string, file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new UsageError(`${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The secret changes the options ask for, or undefined when they ask for none. */
export async function secretChangesOption(values: { 'secret-file'?: string[]; 'delete-secret'?: string[] }): Promise<SecretChanges | undefined> {
  const changes: SecretChanges = {};
  for (const given of values['secret-file'] ?? []) {
    const at = given.indexOf('=');
    const name = at === -1 ? '' : given.slice(0, at);
    const file = given.slice(at + 1);
    if (at <= 0 || file === '') throw new UsageError(`--secret-file ${JSON.stringify(given)} must be NAME=FILE`);
    const problem = secretNameProblem(name);
    if (problem) throw new UsageError(`--secret-file ${name}: the name ${problem}`);
    const value = await readSecretFile(`--secret-file ${name}=`, file);
    const valueProblem = secretValueProblem(value);
    if (valueProblem) throw new UsageError(`--secret-file ${name}=${file}: the value ${valueProblem}`);
    changes[name] = value;
  }
  for (const name of values['delete-secret'] ?? []) {
    const problem = secretNameProblem(name);
    if (problem) throw new UsageError(`--delete-secret ${name}: the name ${problem}`);
    if (name in changes) throw new UsageError(`secret ${name} is both set (--secret-file) and deleted (--delete-secret)`);
    changes[name] = null;
  }
  return Object.keys(changes).length === 0 ? undefined : changes;
}

/** The git credentials the options give: set, removed (null) with --clear-credentials, or undefined. */
export async function credentialsOption(values: {
  'https-user'?: string;
  'https-token-file'?: string;
  'ssh-key-file'?: string;
  'ssh-known-hosts-file'?: string;
  'clear-credentials'?: boolean;
}): Promise<GitCredentials | null | undefined> {
  const https = values['https-user'] !== undefined || values['https-token-file'] !== undefined;
  const ssh = values['ssh-key-file'] !== undefined || values['ssh-known-hosts-file'] !== undefined;
  if ([https, ssh, values['clear-credentials'] === true].filter(Boolean).length > 1) {
    throw new UsageError('give HTTPS credentials (--https-user, --https-token-file), an SSH key (--ssh-key-file) or --clear-credentials, one of them');
  }
  if (values['clear-credentials']) return null;
  if (https) {
    if (!values['https-user'] || !values['https-token-file']) throw new UsageError('--https-user and --https-token-file go together');
    return { kind: 'https', username: values['https-user'], token: await readSecretFile('--https-token-file', values['https-token-file']) };
  }
  if (ssh) {
    if (!values['ssh-key-file']) throw new UsageError('--ssh-known-hosts-file needs --ssh-key-file');
    const privateKey = await readFile(values['ssh-key-file'], 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`--ssh-key-file ${values['ssh-key-file']}: ${error.code ?? error.message}`);
    });
    const knownHosts = values['ssh-known-hosts-file'] === undefined ? undefined : await readSecretFile('--ssh-known-hosts-file', values['ssh-known-hosts-file']);
    return { kind: 'ssh', privateKey, ...(knownHosts === undefined ? {} : { knownHosts }) };
  }
  return undefined;
}

/** Credentials in the API's names (GitCredentials in /openapi.json). */
export function credentialsToApi(credentials: GitCredentials | null): Record<string, unknown> | null {
  if (credentials === null) return null;
  return credentials.kind === 'https'
    ? { kind: 'https', username: credentials.username, token: credentials.token }
    : { kind: 'ssh', private_key: credentials.privateKey, ...(credentials.knownHosts === undefined ? {} : { known_hosts: credentials.knownHosts }) };
}
