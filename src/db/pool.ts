// One pg pool per process and connection string; closed explicitly by entry points and tests.
//
// A pool emits 'error' when an idle client's connection dies (Postgres restarted, a network
// blip); unhandled, that event takes the process down. Here it is reported and the pool goes on:
// the dead client is discarded and the next query connects afresh. Connection and statement
// timeouts keep a query from hanging on a server that does not answer.
import pg from 'pg';

const pools = new Map<string, pg.Pool>();

/** How long connecting may take, and how long one statement may run. */
export const poolTimeouts = { connectionTimeoutMillis: 5_000, statementTimeoutMs: 30_000, idleTimeoutMillis: 30_000 };

type PoolErrorListener = (error: Error) => void;
let reportPoolError: PoolErrorListener = (error) => {
  process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'postgres connection lost; the pool reconnects on the next query', err: error.message })}\n`);
};

/** Where lost idle connections are reported (the entry points route it to their logger). */
export function onPoolError(listener: PoolErrorListener): void {
  reportPoolError = listener;
}

export function getPool(connectionString: string): pg.Pool {
  let pool = pools.get(connectionString);
  if (!pool) {
    pool = new pg.Pool({
      connectionString,
      max: 10,
      connectionTimeoutMillis: poolTimeouts.connectionTimeoutMillis,
      idleTimeoutMillis: poolTimeouts.idleTimeoutMillis,
      statement_timeout: poolTimeouts.statementTimeoutMs,
      query_timeout: poolTimeouts.statementTimeoutMs + 5_000,
      keepAlive: true,
    });
    pool.on('error', (error) => reportPoolError(error));
    pools.set(connectionString, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.end()));
}

// Node's network errors, and the SQLSTATEs of a server that is shutting down, starting up, out of
// connection slots, or whose connection broke (class 08).
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
// node-postgres reports a lost or never-made connection as plain Errors with these messages.
const CONNECTION_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection error|Connection terminated due to connection timeout|the database system is (starting up|shutting down)/i;

/** Whether a query failed because PostgreSQL could not be reached (an outage), not because of the query. */
export function isPostgresUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  if (error instanceof AggregateError) return error.errors.some(isPostgresUnreachable);
  return CONNECTION_MESSAGES.test(error.message);
}
