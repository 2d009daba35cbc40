// `npm start`: brings the local stack up, runs the whole system on it (worker, API, sample
// project) and prints where everything is. Ctrl-C stops what it started.
import { join, relative } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger, installTemporalLogging } from '../src/observability/logger.js';
import { sample } from '../src/system/sample.js';
import { startSystem } from '../worker/start-system.js';
import { exitOnConfigError } from '../src/system/exit-on-config-error.js';
import { dataDir } from './stack/layout.js';
import { stackDown, stackEnv, stackStatus, stackUp } from './stack/index.js';

const say = (line: string) => console.log(`[start] ${line}`);

// Set once this run has brought the stack up, so a failure after that stops it again.
let startedStack = false;

async function main(): Promise<void> {
  const started = Date.now();
  const stackWasUp = (await stackStatus()).ok;
  if (!stackWasUp) {
    await stackUp((line) => console.log(line));
    startedStack = true;
  }
  // The stack's addresses win: they already honour TEMPORAL_ADDRESS, DATABASE_URL and DEPLOYER_KUBECONFIG.
  // The dashboard links runs to the stack's Temporal UI unless the shell names another.
  const stack = stackEnv();
  const env = { DEPLOYER_ALLOW_FILE_URLS: 'true', DEPLOYER_LOG_LEVEL: 'warn', DEPLOYER_TEMPORAL_UI_URL: stack.TEMPORAL_UI_URL, ...process.env, ...stack };
  const config = exitOnConfigError(() => loadConfig(env));
  const logger = createLogger(config.logLevel, 'deployer');
  installTemporalLogging(logger);

  const system = await startSystem({
    config,
    logger,
    sampleRepoDir: join(dataDir, 'sample-ops-repo'),
    adminTokenFile: join(dataDir, 'admin-token'),
    onProgress: say,
  });
  const ui = stack.TEMPORAL_UI_URL;
  const workflowsUrl = ui && `${ui}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`DeployProject="${sample.project}"`)}`;
  const cli = 'bin/deployer';
  const target = `--project ${sample.project} --env ${sample.environment}`;
  console.log(`
sample healthy: ${sample.project}/${sample.environment} runs ${system.sampleImage} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  Dashboard    ${system.apiUrl}/          (sign in with the admin token below)
  API          ${system.apiUrl}          (metrics: ${system.apiUrl}/metrics)
  Swagger UI   ${system.apiUrl}/docs
  Temporal UI  ${workflowsUrl ?? `(your Temporal server at ${config.temporal.address})`}
  admin token  ${system.adminToken}   (also in ${join(dataDir, 'admin-token')})

Try, in another shell in this directory (the command line goes through the API with a token):
  export DEPLOYER_URL=${system.apiUrl} DEPLOYER_TOKEN=$(cat ${relative(process.cwd(), join(dataDir, 'admin-token'))})
  ${cli} deploy ${target} --image registry.example/sample/web:1.1.0 --wait
  ${cli} rollback ${target} --wait
  ${cli} stop ${target} --wait
or through the API:
  curl -s -X PATCH -H "Authorization: Bearer $(cat .data/admin-token)" -H 'Content-Type: application/json' \\
       -d '{"image_ref":"registry.example/sample/web:1.2.0"}' ${system.apiUrl}/api/projects/${sample.project}/deployments/${sample.environment}

Ctrl-C stops the worker and the API${stackWasUp ? '' : ' and the stack this run started'}.`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await system.stop();
    if (!stackWasUp) say(`stopped ${(await stackDown()).join(', ')}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch(async (error) => {
  console.error(`[start] ${(error as Error).stack ?? error}`);
  if (startedStack) {
    const stopped = await stackDown().catch(() => []);
    if (stopped.length > 0) console.error(`[start] stopped ${stopped.join(', ')} again`);
  }
  console.error('[start] npm start failed; fix what is said above and run it again (built binaries and .data/ are kept).');
  process.exit(1);
});
