// The worker's entry point (`worker/main.ts`: config, JSON logs, the Temporal runtime, /metrics,
// /healthz, /readyz) with a pre-built workflow bundle read from the file named by the first
// argument: how a test runs the real worker process on changed workflow code.
import { readFile } from 'node:fs/promises';
import { main } from '../../worker/main.js';
import { exitOnStartFailure } from '../../src/system/exit-on-start-failure.js';

const bundleFile = process.argv[2];
if (!bundleFile) {
  console.error('usage: tsx test/support/worker-process.ts WORKFLOW_BUNDLE_FILE');
  process.exit(2);
}
// As the entry point does: a Temporal that cannot be reached is one line naming what to set.
await main({ workflowBundle: { code: await readFile(bundleFile, 'utf8') } }).catch(exitOnStartFailure);
