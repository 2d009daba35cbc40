// What the figures were measured on, printed with every result: the same benchmark on another
// machine is another measurement.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
}

export function describeMachine(): Machine {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return { cpu: model, cores: cpus().length, ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version };
}

export function machineLine(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}`;
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine has been mostly idle for a few seconds in a row: a benchmark that starts
 * while the cluster still cleans up after the last one (a thousand namespaces, their pods) measures
 * that clean-up. Gives up after `timeoutMs` and says so; the figures then carry the noise.
 */
export async function awaitQuietMachine(log: (line: string) => void, { busyBelow = 0.2, windowMs = 2_000, windows = 3, timeoutMs = 5 * 60_000 } = {}): Promise<void> {
  const started = Date.now();
  let quiet = 0;
  let said = false;
  while (quiet < windows) {
    const before = machineTicks();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = machineTicks();
    const busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    quiet = busy < busyBelow ? quiet + 1 : 0;
    if (quiet === 0 && !said) {
      log(`[fleet] waiting for the machine to be quiet (${Math.round(busy * 100)} % busy; below ${busyBelow * 100} % for ${(windows * windowMs) / 1000} s)`);
      said = true;
    }
    if (quiet < windows && Date.now() - started > timeoutMs) {
      log(`[fleet] the machine is still ${Math.round(busy * 100)} % busy after ${timeoutMs / 1000} s; measuring anyway`);
      return;
    }
  }
  if (said) log(`[fleet] quiet after ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
