// Background processes of the stack: started detached with their output in .data/logs and a pid
// file in .data/run, so `down` (in a later shell) can stop exactly what `up` started.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from './layout.js';
import { waitFor } from './wait.js';

export interface ServiceProcess {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** run as this user (postgres refuses to run as root) */
  runAs?: string;
}

const pidFile = (name: string) => join(paths.runDir, `${name}.pid`);
export const logFile = (name: string) => join(paths.logDir, `${name}.log`);

/** The pid recorded for `name`, if that process is still alive and is still the program we started. */
export function runningPid(name: string, command?: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (command && !cmdline.includes(command)) return undefined; // pid reused by something else
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined; // zombie
    return pid;
  } catch {
    return undefined;
  }
}

export function startProcess(spec: ServiceProcess): number {
  mkdirSync(paths.runDir, { recursive: true });
  mkdirSync(paths.logDir, { recursive: true });
  const out = openSync(logFile(spec.name), 'a');
  const [command, args] = spec.runAs
    ? ['setpriv', ['--reuid', spec.runAs, '--regid', spec.runAs, '--init-groups', '--', spec.command, ...spec.args]]
    : [spec.command, spec.args];
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...spec.env },
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  child.unref();
  writeFileSync(pidFile(spec.name), `${child.pid}\n`);
  return child.pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Stops the process recorded for `name` (`signal`, then KILL after a grace period); true if one
 * was running. Each service runs in its own process group (detached), so its children go too
 * unless `wholeGroup` is false (postgres shuts its own children down and takes SIGINT as "fast").
 */
export async function stopProcess(
  name: string,
  command?: string,
  { signal: stopSignal = 'SIGTERM', wholeGroup = true }: { signal?: NodeJS.Signals; wholeGroup?: boolean } = {},
): Promise<boolean> {
  const pid = runningPid(name, command);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (!wholeGroup) throw new Error('single process');
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal(stopSignal);
  try {
    await waitFor(`${name} to exit`, () => !alive(pid), { timeoutMs: 15_000, intervalMs: 100 });
  } catch {
    wholeGroup = true;
    signal('SIGKILL');
    await waitFor(`${name} to exit after SIGKILL`, () => !alive(pid), { timeoutMs: 5_000, intervalMs: 100 });
  }
  return true;
}

/** The last lines of a service's log, for error messages. */
export function logTail(name: string, lines = 15): string {
  try {
    return readFileSync(logFile(name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
