// One pg pool per process and connection string; closed explicitly by entry points and tests.
import pg from 'pg';

const pools = new Map<string, pg.Pool>();

export function getPool(connectionString: string): pg.Pool {
  let pool = pools.get(connectionString);
  if (!pool) {
    pool = new pg.Pool({ connectionString, max: 10 });
    pools.set(connectionString, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.end()));
}
