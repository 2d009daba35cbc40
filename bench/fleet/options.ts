// The command-line options every fleet benchmark shares, and the few each adds. Sizes default to
// the (1,000 environments, one worker); `--code-dir` points the worker, the API server
// and the migrations at another checkout, so "before" and "after" run through this same harness.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const repoRoot = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));

export interface FleetOptions {
  /** environments in the fleet */
  envs: number;
  /** worker processes sharing the task queue */
  workers: number;
  /** the checkout whose worker, API server and migrations run */
  codeDir: string;
  /** DEPLOYER_DRIFT_INTERVAL_MS for the workers; unset: the product's default */
  driftIntervalMs?: number;
  /** DEPLOYER_LOG_LEVEL for the workers */
  logLevel: string;
  /** a file the JSON result is appended to, one line per run */
  out?: string;
  /** a label for the result ("before", "after"); the code's commit is reported beside it */
  label?: string;
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const fleetOptionSpecs = {
  envs: { type: 'string', default: '1000' },
  workers: { type: 'string', default: '1' },
  'code-dir': { type: 'string' },
  'drift-interval-ms': { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  out: { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', default: false },
} satisfies OptionSpecs;

export const fleetOptionsHelp = `fleet options:
  --envs N               environments (default 1000; vs-kubectl: 1), each its own namespace, 4 objects
  --workers K            worker processes on one task queue (default 1)
  --code-dir DIR         run the worker, API server and migrations from this checkout
                         (e.g. a git worktree of an older commit, with node_modules); default: this one
  --drift-interval-ms MS the workers' DEPLOYER_DRIFT_INTERVAL_MS (default: the product's)
  --log-level LEVEL      the workers' DEPLOYER_LOG_LEVEL (default info)
  --out FILE             append the JSON result to FILE
  --label TEXT           name the run in the result ("before", "after"); the code's commit is always shown`;

export function positiveInt(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Parses the shared options plus `extra`; prints `usage` and exits on --help or a bad option.
 * Returns the fleet options and the benchmark's own values as strings.
 */
export function parseBenchArgs<E extends OptionSpecs>(
  usage: string,
  extra: E,
  { envs = '1000' }: { envs?: string } = {},
): { fleet: FleetOptions; own: Record<keyof E, string | undefined> } {
  let values: Record<string, string | boolean | undefined>;
  try {
    const specs = { ...fleetOptionSpecs, envs: { ...fleetOptionSpecs.envs, default: envs }, ...extra };
    ({ values } = parseArgs({ options: specs, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}\n\n${fleetOptionsHelp}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(`${usage}\n\n${fleetOptionsHelp}`);
    process.exit(0);
  }
  try {
    const codeDir = realpathSync((values['code-dir'] as string | undefined) ?? repoRoot);
    for (const needed of ['src/server.ts', 'node_modules/tsx']) {
      if (!existsSync(join(codeDir, needed))) {
        throw new Error(`--code-dir ${codeDir} has no ${needed}: give a checkout of this repository with its dependencies (npm ci, or a symlink to this checkout's node_modules)`);
      }
    }
    const fleet: FleetOptions = {
      envs: positiveInt('envs', values.envs as string),
      workers: positiveInt('workers', values.workers as string),
      codeDir,
      driftIntervalMs: values['drift-interval-ms'] === undefined ? undefined : positiveInt('drift-interval-ms', values['drift-interval-ms'] as string),
      logLevel: values['log-level'] as string,
      out: values.out as string | undefined,
      label: values.label as string | undefined,
    };
    const own = Object.fromEntries(Object.keys(extra).map((key) => [key, values[key] as string | undefined])) as Record<keyof E, string | undefined>;
    return { fleet, own };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}\n\n${fleetOptionsHelp}`);
    process.exit(2);
  }
}


/** The worker's entry point in a checkout: `worker/main.ts`, or `src/worker.ts` in older ones. */
export function workerEntry(codeDir: string): 'worker/main.ts' | 'src/worker.ts' {
  return existsSync(join(codeDir, 'worker/main.ts')) ? 'worker/main.ts' : 'src/worker.ts';
}

/** Whether the module at `url` is the script node was started with (not imported by another benchmark). */
export function isMainModule(url: string): boolean {
  const script = process.argv[1];
  return script !== undefined && existsSync(script) && url === pathToFileURL(realpathSync(script)).href;
}

/** A benchmark of a fleet at rest cannot start until every environment's first release is healthy. */
export function assertAllHealthy(deployed: { failures: unknown[] }, what: string): void {
  if (deployed.failures.length > 0) throw new Error(`${deployed.failures.length} environment(s) did not become healthy; ${what}`);
}
