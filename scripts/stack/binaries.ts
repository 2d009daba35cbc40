// Finding a program the way a user's machine would have it: on PATH first, then in our cache,
// and only then built from the Go module proxy (which needs Go on PATH).
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function inDir(dir: string, name: string): string | undefined {
  const candidate = join(dir, name);
  return existsSync(candidate) ? candidate : undefined;
}

export function requireGo(forWhat: string, otherwise: string): string {
  const go = onPath('go');
  if (!go) {
    throw new Error(`${forWhat} is not installed and Go is not on PATH to build it. ${otherwise}`);
  }
  return go;
}

/**
 * Runs a build command with its output streamed to the terminal, reporting how long it took.
 * Asynchronous on purpose: the other services' readiness checks keep running meanwhile.
 */
export async function runBuild(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const started = Date.now();
  console.log(`[stack] building ${label} (first run on this machine; later runs use the cache)…`);
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', ...env },
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve([c, s]));
  });
  if (code !== 0) {
    throw new Error(`building ${label} failed (${command} ${args.join(' ')} exited ${code ?? signal})`);
  }
  console.log(`[stack] built ${label} in ${Math.round((Date.now() - started) / 1000)} s`);
}

export function versionOf(binary: string, args = ['--version']): string {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0] ?? '';
  } catch {
    return 'unknown version';
  }
}
