// Resource use of processes from /proc: CPU time (utime + stime, every thread included), the
// resident set now and its peak (VmHWM). Linux only, like the local stack.
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // _SC_CLK_TCK on every Linux architecture Node runs on

/** CPU seconds the process has used so far (user + system, all threads), or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size now, in bytes. */
export const rssBytes = (pid: number) => statusField(pid, 'VmRSS');
/** Peak resident set size since the process started, in bytes. */
export const peakRssBytes = (pid: number) => statusField(pid, 'VmHWM');

/** The process and its direct children (PostgreSQL runs one process per connection under the postmaster). */
export function withChildren(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return [pid, ...children];
}

/**
 * CPU used by a group of processes between start() and the returned stop(), as a percentage of
 * one core. Processes that start later (a new Postgres backend) count from their first sighting.
 */
export function measureCpu(processes: () => number[]): { stop(): { cpuSeconds: number; percentOfCore: number; seconds: number } } {
  const started = performance.now();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = () => {
    for (const pid of processes()) {
      const used = cpuSeconds(pid);
      if (used === undefined) continue;
      if (!first.has(pid)) first.set(pid, used);
      last.set(pid, used);
    }
  };
  sample();
  const timer = setInterval(sample, 5_000);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let total = 0;
      for (const [pid, used] of last) total += used - (first.get(pid) ?? used);
      const seconds = (performance.now() - started) / 1000;
      return { cpuSeconds: total, percentOfCore: (100 * total) / seconds, seconds };
    },
  };
}

/** Samples the resident set of `pids` every second; peak() is the highest sum and per-process peaks seen. */
export function sampleRss(pids: number[]): { stop(): { peakSumBytes: number; peakBytes: number[] } } {
  const peaks = pids.map(() => 0);
  let peakSum = 0;
  const sample = () => {
    let sum = 0;
    pids.forEach((pid, i) => {
      const rss = rssBytes(pid) ?? 0;
      sum += rss;
      peaks[i] = Math.max(peaks[i]!, rss);
    });
    peakSum = Math.max(peakSum, sum);
  };
  sample();
  const timer = setInterval(sample, 1_000);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakSumBytes: peakSum, peakBytes: peaks };
    },
  };
}
