// The stack's operations, shared by the `npm run stack` command and the test set-up.
import { paths } from './layout.js';
import { downKubernetes, kubeconfigPath, prepareKubernetes, statusKubernetes, upKubernetes } from './kubernetes.js';
import { databaseUrls, downPostgres, preparePostgres, statusPostgres, upPostgres } from './postgres.js';
import { downTemporal, namespace, prepareTemporal, statusTemporal, temporalAddress, temporalUiUrl, upTemporal } from './temporal.js';

async function timed(label: string, start: () => Promise<string>, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const detail = await start();
  log(`[stack] ${label.padEnd(10)} up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${detail}`);
}

function failuresOf(results: PromiseSettledResult<unknown>[]): string[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((f) => (f.reason as Error).message);
}

/**
 * Brings every service up. Builds and installs come first, all of them, and only then do
 * services start: a server started while a compiler holds every core answers minutes late. When
 * anything fails, the services this call started are stopped again and the error says why.
 */
export async function stackUp(log: (line: string) => void = console.log): Promise<void> {
  const started = Date.now();
  // The builds run concurrently; Postgres' install (synchronous apt-get) goes last so they start first.
  const prepared = await Promise.allSettled([prepareTemporal(), prepareKubernetes(), preparePostgres()]);
  const missing = failuresOf(prepared);
  if (missing.length > 0) {
    throw new Error(`the stack is not up: ${missing.length} service(s) could not be obtained:\n${missing.join('\n')}`);
  }
  const [temporal, kubernetes, postgres] = prepared.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof prepareTemporal>>,
    Awaited<ReturnType<typeof prepareKubernetes>>,
    Awaited<ReturnType<typeof preparePostgres>>,
  ];
  const failures = failuresOf(
    await Promise.allSettled([
      timed('postgres', () => upPostgres(postgres), log),
      timed('temporal', () => upTemporal(temporal), log),
      timed('kubernetes', () => upKubernetes(kubernetes), log),
    ]),
  );
  if (failures.length > 0) {
    const stopped = await stackDown();
    const cleanup = stopped.length > 0 ? `stopped again: ${stopped.join(', ')}` : 'nothing was left running';
    throw new Error(
      `the stack is not up (${failures.length} service(s) failed; logs in ${paths.logDir}; ${cleanup}):\n${failures.join('\n')}\n` +
        'Fix what the log says, then run the same command again: built binaries are cached.',
    );
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
