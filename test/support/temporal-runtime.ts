import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

let installed = false;
/** Workers log only warnings in tests. The runtime is a process singleton: install it once. */
export function installQuietRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** Instead of the quiet runtime: every log entry from `level` up goes to `sink` (a test that reads the worker's logs). */
export function installCapturingRuntime(level: LogLevel, sink: (entry: LogEntry) => void): void {
  if (installed) throw new Error('the Temporal runtime is already installed: capture its logs before any worker starts');
  installed = true;
  Runtime.install({ logger: new DefaultLogger(level, sink) });
}
