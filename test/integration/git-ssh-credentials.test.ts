// An ops repository's SSH key, against a real sshd serving a bare repository: git fetches with the
// key (from a 0600 file that is gone once git is done) and checks the host strictly against the
// known_hosts given; without the key, or with the wrong host key, the fetch fails at once as
// refused, and no message holds the key. OpenSSH's server comes from Debian's openssh-server,
// installed when missing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import type { GitCredentials } from '../../src/domain/git-credentials.js';
import { resolveBranchHead } from '../../src/git/checkout.js';
import { createLocalGitRepo, git } from '../api/support.js';
import { ensureDebianPackage } from '../support/debian-package.js';

const SSHD = '/usr/sbin/sshd';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function gitKeyDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('deployer-git-'));
}

describe('ops repo SSH credentials', () => {
  let dir: string;
  let sshd: ChildProcess;
  let url: string;
  let head: string;
  let privateKey: string;
  let knownHosts: string;
  let strangerKnownHosts: string;
  const source = () => ({ url, branch: 'main', path: '.' });
  const cache = (credentials?: GitCredentials) => ({ repoCacheDir: join(dir, `cache-${Math.random().toString(36).slice(2)}`), credentialsFor: async () => credentials });

  beforeAll(async () => {
    ensureDebianPackage(SSHD, 'openssh-server');
    dir = await mkdtemp(join(tmpdir(), 'deployer-ssh-test-'));
    const work = join(dir, 'work');
    await createLocalGitRepo(work);
    head = git(work, 'rev-parse', 'HEAD');
    git(dir, 'clone', '--quiet', '--bare', work, join(dir, 'ops.git'));
    const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'deployer-test', '-f', join(dir, file)]);
    keygen('host_key');
    keygen('stranger_host_key');
    keygen('client_key');
    await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
    privateKey = await readFile(join(dir, 'client_key'), 'utf8');
    const port = await freePort();
    const hostLine = async (file: string) => `[127.0.0.1]:${port} ${(await readFile(join(dir, file), 'utf8')).split(' ').slice(0, 2).join(' ')}\n`;
    knownHosts = await hostLine('host_key.pub');
    strangerKnownHosts = await hostLine('stranger_host_key.pub');
    await writeFile(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'StrictModes no', 'UsePAM no',
        'PermitRootLogin prohibit-password', `PidFile ${join(dir, 'sshd.pid')}`, '',
      ].join('\n'),
    );
    // sshd's privilege separation needs its empty directory, which the service would make.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
    await waitFor('sshd to listen', async () => {
      const probe = createServer();
      const taken = await new Promise<boolean>((resolve) => {
        probe.once('error', () => resolve(true));
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
      });
      return taken || undefined;
    }, { timeoutMs: 10_000 });
    const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    url = `ssh://${user}@127.0.0.1:${port}${join(dir, 'ops.git')}`;
  });

  afterAll(async () => {
    sshd?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches with the key, checking the host against known_hosts, and leaves no key file behind', async () => {
    const before = await gitKeyDirs();
    expect(await resolveBranchHead(cache({ kind: 'ssh', privateKey, knownHosts }), source())).toBe(head);
    expect(await gitKeyDirs()).toEqual(before);
  });

  it('is refused without the key, or with another host key, at once and without the key in the message', async () => {
    const keyLines = privateKey.split('\n').filter((line) => line.length >= 8 && !line.startsWith('-----'));
    await expect(resolveBranchHead(cache(), source())).rejects.toMatchObject({ type: 'InvalidOpsRepo', message: expect.stringMatching(/was refused: .*give the ops repo its credentials/s) });
    const wrongHost = await resolveBranchHead(cache({ kind: 'ssh', privateKey, knownHosts: strangerKnownHosts }), source()).then(
      () => undefined,
      (error: Error & { type?: string }) => error,
    );
    expect(wrongHost).toMatchObject({ type: 'InvalidOpsRepo', message: expect.stringMatching(/Host key verification failed/) });
    for (const line of keyLines) expect(`${wrongHost!.message}\n${wrongHost!.stack}`).not.toContain(line);
  });
});
