// A database of the run's own on the stack's PostgreSQL server, migrated by the code under test
// and dropped at the end: the fleet's rows never mix with anyone else's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

async function adminQuery(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(databaseUrl), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates database `name` next to the one in `serverUrl`; returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`database name ${name} must be [a-z0-9_]+`);
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `deployer migrate` of the checkout in `codeDir` against `databaseUrl`. */
export async function migrateWith(codeDir: string, databaseUrl: string): Promise<void> {
  await run(process.execPath, ['bin/deployer', 'migrate'], { cwd: codeDir, env: { ...process.env, DATABASE_URL: databaseUrl } });
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
