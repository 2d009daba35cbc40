// Percentiles and the way every benchmark prints its result: one Markdown table row (to paste
// into bench/README.md) and one JSON line (to keep, or to compare runs by script).
import { appendFileSync } from 'node:fs';
import { describeMachine, machineLine, type Machine } from './machine.js';

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); with 30 samples p99 is the maximum. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(values: readonly number[]): { n: number; min?: number; p50?: number; p90?: number; p99?: number; max?: number; mean?: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : undefined;
  return { n: sorted.length, min: sorted[0], p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1), mean };
}

export const ms = (value: number | undefined) => (value === undefined ? '–' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
export const seconds = (valueMs: number | undefined) => (valueMs === undefined ? '–' : `${(valueMs / 1000).toFixed(1)} s`);
export const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : `${Math.round(bytes / 2 ** 20)} MiB`);
export const pct = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(1)} %`);

export interface BenchResult {
  benchmark: string;
  label: string;
  codeCommit: string;
  at: string;
  machine: Machine;
  options: Record<string, unknown>;
  figures: Record<string, unknown>;
}

/** Prints the result as a table (header + one row) and as JSON; appends the JSON to `out` when given. */
export function report(
  result: Omit<BenchResult, 'machine' | 'at'>,
  columns: Array<[header: string, cell: string]>,
  out?: string,
): void {
  const full: BenchResult = { ...result, at: new Date().toISOString(), machine: describeMachine() };
  const headers = ['run', 'code', ...columns.map(([h]) => h)];
  const cells = [full.label || '–', full.codeCommit, ...columns.map(([, c]) => c)];
  console.log('');
  console.log(`${full.benchmark} — ${machineLine(full.machine)}, ${full.at}`);
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`| ${headers.map(() => '---').join(' | ')} |`);
  console.log(`| ${cells.join(' | ')} |`);
  const json = JSON.stringify(full);
  console.log(`JSON ${json}`);
  if (out) appendFileSync(out, `${json}\n`);
}
