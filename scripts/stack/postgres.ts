// PostgreSQL: the server named by DATABASE_URL, else a cluster of our own in .data/pg on its own
// port, run from Debian's packages (installed with apt-get when missing and we are root).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { inDir, onPath } from './binaries.js';
import { paths, ports, postgresDatabases } from './layout.js';
import { runningPid, startProcess, stopProcess } from './processes.js';
import { awaitService } from './await-service.js';
import { waitFor } from './wait.js';

const SERVICE = 'postgres';
const SUPERUSER = 'postgres';

export function databaseUrls(): { app: string; test: string } {
  if (process.env.DATABASE_URL) {
    const test = new URL(process.env.DATABASE_URL);
    test.pathname = `/${test.pathname.slice(1) || 'postgres'}_test`;
    return { app: process.env.DATABASE_URL, test: process.env.TEST_DATABASE_URL ?? test.toString() };
  }
  const base = `postgres://${SUPERUSER}@127.0.0.1:${ports.postgres}`;
  return {
    app: `${base}/${postgresDatabases.app}`,
    test: process.env.TEST_DATABASE_URL ?? `${base}/${postgresDatabases.test}`,
  };
}

function findPostgresBinDir(): string | undefined {
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const newest = readdirSync(debianRoot)
      .filter((v) => inDir(join(debianRoot, v, 'bin'), 'initdb'))
      .sort((a, b) => Number(b) - Number(a))[0];
    if (newest) return join(debianRoot, newest, 'bin');
  }
  const initdb = onPath('initdb');
  return initdb ? join(initdb, '..') : undefined;
}

export interface PostgresBinaries {
  binDir: string;
  source: string;
}

/** What must exist before the server can start: Debian's packages, installed when missing. Nothing for a server the user runs. */
export async function preparePostgres(): Promise<PostgresBinaries | undefined> {
  return process.env.DATABASE_URL ? undefined : obtainPostgres();
}

function obtainPostgres(): PostgresBinaries {
  const found = findPostgresBinDir();
  if (found) return { binDir: found, source: found };
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(
      'PostgreSQL is not installed. Install it (Debian/Ubuntu: `sudo apt-get install postgresql`) ' +
        'or set DATABASE_URL to a PostgreSQL server you run.',
    );
  }
  console.log('[stack] installing PostgreSQL with apt-get…');
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const installed = findPostgresBinDir();
  if (!installed) throw new Error('apt-get installed postgresql but no initdb was found under /usr/lib/postgresql');
  return { binDir: installed, source: `${installed} (installed with apt-get)` };
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user the package creates. */
function serverUser(): string | undefined {
  return process.getuid?.() === 0 ? SUPERUSER : undefined;
}

function initCluster(binDir: string): void {
  if (existsSync(join(paths.pgData, 'PG_VERSION'))) return;
  mkdirSync(dirname(paths.pgData), { recursive: true }); // the postgres user must be able to traverse it
  mkdirSync(paths.pgData, { mode: 0o700 });
  const user = serverUser();
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    chownSync(paths.pgData, uid, gid);
  }
  const args = ['-D', paths.pgData, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-instructions'];
  const [command, fullArgs] = user
    ? ['setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', join(binDir, 'initdb'), ...args]]
    : [join(binDir, 'initdb'), args];
  execFileSync(command, fullArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const existing = await query(admin.toString(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (existing.length === 0) await query(admin.toString(), `CREATE DATABASE "${name.replaceAll('"', '""')}"`);
}

export async function upPostgres(prepared?: PostgresBinaries): Promise<string> {
  const urls = databaseUrls();
  if (process.env.DATABASE_URL) {
    await waitFor('PostgreSQL at DATABASE_URL', () => query(urls.app, 'SELECT 1'), { timeoutMs: 15_000 });
    await ensureDatabase(urls.test).catch((error) => {
      console.warn(`[stack] postgres: could not create the test database (${(error as Error).message}); set TEST_DATABASE_URL`);
    });
    return `using DATABASE_URL (${new URL(urls.app).host})`;
  }
  return startLocalPostgres(prepared);
}

/** Starts the stack's own PostgreSQL (unless it runs) and waits for it to accept connections. */
export async function startLocalPostgres(prepared?: PostgresBinaries): Promise<string> {
  const urls = databaseUrls();
  const { binDir, source } = prepared ?? obtainPostgres();
  initCluster(binDir);
  if (runningPid(SERVICE, 'postgres') === undefined) {
    startProcess({
      name: SERVICE,
      command: join(binDir, 'postgres'),
      args: [
        '-D', paths.pgData,
        '-p', String(ports.postgres),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'fsync=off', // a throwaway local cluster: speed over crash safety
        '-c', 'max_connections=200',
      ],
      runAs: serverUser(),
    });
  }
  const admin = `postgres://${SUPERUSER}@127.0.0.1:${ports.postgres}/postgres`;
  await awaitService('PostgreSQL to accept connections', () => query(admin, 'SELECT 1'), { service: SERVICE, command: 'postgres' });
  await ensureDatabase(urls.app);
  await ensureDatabase(urls.test);
  const [{ version }] = (await query<{ version: string }>(admin, "SELECT current_setting('server_version') AS version")) as [{ version: string }];
  return `127.0.0.1:${ports.postgres} (PostgreSQL ${version}, data ${paths.pgData}) — ${source}`;
}

export async function statusPostgres(): Promise<{ ok: boolean; line: string }> {
  const { app } = databaseUrls();
  const where = new URL(app).host;
  try {
    await query(app, 'SELECT 1');
    return { ok: true, line: `postgres   ok    ${where}` };
  } catch (error) {
    return { ok: false, line: `postgres   DOWN  ${where}: ${(error as Error).message}` };
  }
}

export async function downPostgres(): Promise<boolean> {
  return stopProcess(SERVICE, 'postgres', { signal: 'SIGINT', wholeGroup: false });
}
