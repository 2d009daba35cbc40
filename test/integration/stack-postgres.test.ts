import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/env.js';

describe('the PostgreSQL server of the stack', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: testEnv.databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('answers queries in the test database and keeps what is written in a transaction', async () => {
    const { rows } = await client.query<{ db: string; sum: number }>('SELECT current_database() AS db, 40 + 2 AS sum');
    expect(rows[0]).toEqual({ db: new URL(testEnv.databaseUrl).pathname.slice(1), sum: 42 });

    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE smoke (id serial PRIMARY KEY, note text NOT NULL)');
    await client.query('INSERT INTO smoke (note) VALUES ($1), ($2)', ['first', 'second']);
    const notes = await client.query<{ note: string }>('SELECT note FROM smoke ORDER BY id');
    await client.query('ROLLBACK');
    expect(notes.rows.map((r) => r.note)).toEqual(['first', 'second']);
  });
});
