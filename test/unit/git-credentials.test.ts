import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGitAuthenticationFailure } from '../../src/git/checkout.js';
import { withGitCredentials } from '../../src/git/credentials.js';

describe('withGitCredentials', () => {
  it('gives git an HTTPS token through its credential helper, not through its configuration or arguments', async () => {
    const token = 'tok-1234567890';
    const answer = await withGitCredentials({ kind: 'https', username: 'bot', token }, async (env) => {
      // Only the environment variables of the git process hold the token; the helper reads them.
      expect(Object.entries(env).filter(([, value]) => value.includes(token)).map(([name]) => name)).toEqual(['DEPLOYER_GIT_TOKEN']);
      return execFileSync('git', ['credential', 'fill'], { input: 'protocol=https\nhost=git.example.com\n\n', env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0' }, encoding: 'utf8' });
    });
    expect(answer).toContain('username=bot\n');
    expect(answer).toContain(`password=${token}\n`);
  });

  it('writes an SSH key to a 0600 file only while git runs, and names it in GIT_SSH_COMMAND', async () => {
    const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAkeymaterialkeymaterial\n-----END OPENSSH PRIVATE KEY-----';
    let keyFile = '';
    await withGitCredentials({ kind: 'ssh', privateKey, knownHosts: 'git.example.com ssh-ed25519 AAAA\n' }, async (env) => {
      expect(env.GIT_SSH_COMMAND).not.toContain('keymaterial');
      expect(env.GIT_SSH_COMMAND).toContain('StrictHostKeyChecking=yes');
      keyFile = /-i '([^']+)'/.exec(env.GIT_SSH_COMMAND!)![1]!;
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(keyFile)).mode & 0o777).toBe(0o700);
      expect(readFileSync(keyFile, 'utf8')).toBe(`${privateKey}\n`);
    });
    expect(existsSync(dirname(keyFile))).toBe(false);
  });

  it("takes the token out of git's failure, and the key file away", async () => {
    const token = 'tok-0987654321';
    await expect(withGitCredentials({ kind: 'https', username: 'bot', token }, () => Promise.reject(new Error(`fatal: bad ${token}`)))).rejects.toThrow('fatal: bad [secret]');
    let keyDir = '';
    const failing = withGitCredentials({ kind: 'ssh', privateKey: '-----BEGIN PRIVATE KEY-----\nsecretline12345\n-----END PRIVATE KEY-----' }, (env) => {
      keyDir = dirname(/-i '([^']+)'/.exec(env.GIT_SSH_COMMAND!)![1]!);
      return Promise.reject(new Error('key secretline12345 refused'));
    });
    await expect(failing).rejects.toThrow('key [secret] refused');
    expect(existsSync(keyDir)).toBe(false);
  });

  it('runs git as it is without credentials', async () => {
    expect(await withGitCredentials(undefined, async (env) => env)).toEqual({});
  });
});

describe('isGitAuthenticationFailure', () => {
  it("tells a refused or missing login from other git failures", () => {
    for (const message of [
      "fatal: could not read Username for 'https://git.example.com': terminal prompts disabled",
      "fatal: Authentication failed for 'https://git.example.com/ops.git/'",
      'git@git.example.com: Permission denied (publickey).',
      'Host key verification failed.',
      'fatal: unable to access \'https://git.example.com/ops.git/\': The requested URL returned error: 403',
    ]) expect(isGitAuthenticationFailure(message), message).toBe(true);
    for (const message of ["fatal: couldn't find remote ref main", 'The requested URL returned error: 503', 'Could not resolve host: git.example.com']) {
      expect(isGitAuthenticationFailure(message), message).toBe(false);
    }
  });
});
