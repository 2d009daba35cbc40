// Waiting for a service we started to answer. A fixed deadline fails a first run on a busy
// machine (a server starting while a compiler holds both cores answers late, not never), so the
// wait follows the process instead: it fails at once when the process exits, and otherwise only
// when the process has made no progress (no CPU time used, nothing logged) for a while.
import { readFileSync, statSync } from 'node:fs';
import { logFile, logTail, runningPid } from './processes.js';

export interface AwaitServiceOptions {
  /** the pid-file name of the service, as given to startProcess */
  service: string;
  /** the program name, to recognise the pid */
  command: string;
  /** give up when the process used no CPU and logged nothing for this long */
  stalledAfterMs?: number;
  /** give up in any case after this long */
  limitMs?: number;
  intervalMs?: number;
}

/** CPU ticks used by the process so far (user + system), from /proc. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is index 0, utime 11, stime 12.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function logSize(service: string): number {
  try {
    return statSync(logFile(service)).size;
  } catch {
    return 0;
  }
}

/** A snapshot of what a service has done; it changes while the service is making progress. */
function progressMark(pid: number, service: string): string {
  return `${cpuTicks(pid)}/${logSize(service)}`;
}

/**
 * Polls `check` until it returns a truthy value. Fails with the service's log tail when the
 * process exits, stalls for `stalledAfterMs`, or the whole wait passes `limitMs`.
 */
export async function awaitService<T>(
  what: string,
  check: () => T | Promise<T>,
  { service, command, stalledAfterMs = 60_000, limitMs = 15 * 60_000, intervalMs = 250 }: AwaitServiceOptions,
): Promise<NonNullable<T>> {
  const started = Date.now();
  let lastMark = '';
  let lastProgress = started;
  let lastError: unknown;
  let missingSince: number | undefined;
  const fail = (why: string): never => {
    const detail = lastError instanceof Error ? ` (last answer: ${lastError.message.split('\n')[0]})` : '';
    throw new Error(`${why} while waiting for ${what}${detail}\n--- ${service} log (${logFile(service)}) ---\n${logTail(service)}`);
  };
  for (;;) {
    try {
      const result = await check();
      if (result) return result as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    const pid = runningPid(service, command);
    const now = Date.now();
    // Right after a spawn the process may be between fork and exec (its command line not yet the
    // program's): only a process missing for a second has really exited.
    if (pid === undefined) {
      missingSince ??= now;
      if (now - missingSince > 1_000) fail(`${service} exited`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      continue;
    }
    missingSince = undefined;
    const mark = progressMark(pid, service);
    if (mark !== lastMark) {
      lastMark = mark;
      lastProgress = now;
    }
    if (now - lastProgress > stalledAfterMs) fail(`${service} made no progress (no CPU time, no log output) for ${Math.round(stalledAfterMs / 1000)} s`);
    if (now - started > limitMs) fail(`${service} did not answer in ${Math.round(limitMs / 1000)} s although it kept running`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
