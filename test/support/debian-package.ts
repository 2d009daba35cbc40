// A tool a test needs from Debian's packages (sshd, say): installed with apt-get when missing and
// we are root, as the stack installs PostgreSQL; otherwise an error saying what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureDebianPackage(binary: string, pkg: string): void {
  if (existsSync(binary)) return;
  if (process.getuid?.() !== 0) throw new Error(`${binary} is missing: install Debian's ${pkg} (sudo apt-get install ${pkg})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env });
  if (!existsSync(binary)) throw new Error(`apt-get installed ${pkg} but ${binary} is still missing`);
}
