// The stack's operations, shared by the `npm run stack` command and the test set-up.
import { paths } from './layout.js';
import { downKubernetes, kubeconfigPath, statusKubernetes, upKubernetes } from './kubernetes.js';
import { databaseUrls, downPostgres, statusPostgres, upPostgres } from './postgres.js';
import { downTemporal, namespace, statusTemporal, temporalAddress, temporalUiUrl, upTemporal } from './temporal.js';

async function timed(label: string, start: () => Promise<string>, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const detail = await start();
  log(`[stack] ${label.padEnd(10)} up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${detail}`);
}

export async function stackUp(log: (line: string) => void = console.log): Promise<void> {
  const started = Date.now();
  // Kubernetes takes longest (and may build); Temporal and Postgres come up beside it.
  const results = await Promise.allSettled([
    timed('postgres', upPostgres, log),
    timed('temporal', upTemporal, log),
    timed('kubernetes', upKubernetes, log),
  ]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    const reasons = failures.map((f) => (f.reason as Error).message).join('\n');
    throw new Error(`the stack is not up (${failures.length} service(s) failed; logs in ${paths.logDir}):\n${reasons}`);
  }
  log(`[stack] all services up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function stackStatus(): Promise<{ ok: boolean; lines: string[] }> {
  const results = await Promise.all([statusTemporal(), statusKubernetes(), statusPostgres()]);
  return { ok: results.every((r) => r.ok), lines: results.map((r) => r.line) };
}

/** Stops every process the stack started; returns their names. */
export async function stackDown(): Promise<string[]> {
  const stopped = [...(await downKubernetes())];
  if (await downTemporal()) stopped.push('temporal');
  if (await downPostgres()) stopped.push('postgres');
  return stopped;
}

/** Where the stack's services answer, as the environment variables the product reads. */
export function stackEnv(): Record<string, string> {
  const { app, test } = databaseUrls();
  const ui = temporalUiUrl();
  return {
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_NAMESPACE: namespace,
    ...(ui ? { TEMPORAL_UI_URL: ui } : {}),
    DATABASE_URL: app,
    TEST_DATABASE_URL: test,
    KUBECONFIG: kubeconfigPath(),
  };
}
