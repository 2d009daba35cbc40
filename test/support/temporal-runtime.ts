import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;
/** Workers log only warnings in tests. The runtime is a process singleton: install it once. */
export function installQuietRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}
