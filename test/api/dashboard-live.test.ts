// The dashboard's live feed over HTTP, on the stack's Postgres: a live status a worker writes
// reaches the open event streams as the environment's new fleet row (or, on an environment's
// page, as `changed`), only for streams that may read that project; an older report never
// replaces a newer one, and a report for an environment no longer registered is dropped.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveFeed } from '../../src/api/live-feed.js';
import { LIVE_STATUS_CHANNEL, writeLiveStatuses } from '../../src/db/live-status.js';
import type { LiveStatus } from '../../src/domain/live-status.js';
import { testEnv } from '../support/env.js';
import { EventReader } from '../support/event-reader.js';
import { registerTestEnvironment, setUpApiTest, type ApiTest } from './support.js';

describe('the dashboard live feed', () => {
  let test: ApiTest;
  const open: EventReader[] = [];

  beforeAll(async () => {
    test = await setUpApiTest('dashboard-live');
    await registerTestEnvironment(test, test.project, 'dev');
    await registerTestEnvironment(test, test.project, 'prod');
    await registerTestEnvironment(test, test.otherProject, 'dev');
  });

  afterAll(async () => {
    await Promise.all(open.map((reader) => reader.close().catch(() => undefined)));
    await test?.close();
  });

  async function stream(path: string, token: string): Promise<EventReader> {
    const response = await test.app.request(path, { headers: { Cookie: `deployer_session=${token}`, Accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = new EventReader(response.body!.getReader());
    open.push(reader);
    expect((await reader.next()).event).toBe('ready');
    return reader;
  }

  const report = (project: string, environment: string, status: Omit<LiveStatus, 'at'>, at = Date.now()) =>
    writeLiveStatuses(test.pool, [{ project, environment, status: { ...status, at } }]);

  it("sends a changed environment's fleet row to the streams that may read it, and a change to its page", async () => {
    const fleet = await stream('/dashboard/events', test.tokens.reader);
    const bound = await stream('/dashboard/events', test.tokens.otherProjectAdmin);
    const page = await stream(`/dashboard/events?project=${test.project}&env=dev`, test.tokens.reader);

    const until = Date.now() + 60_000;
    await report(test.project, 'dev', { phase: 'waiting', detail: 'minimum interval', until });
    const update = await fleet.nextOf('fleet');
    expect(update.data).toMatch(/^<template><tr id="env-[^"]+__dev" hx-swap-oob="true">/);
    expect(update.data).toContain(`id="env-${test.project}__dev"`);
    expect(update.data).toContain('<span class="status status-waiting">waiting</span>');
    expect(update.data).toContain('minimum interval');
    expect(update.data).toContain(new Date(until).toISOString().slice(0, 19));
    expect((await page.nextOf('changed')).data).toBe('');

    // A change elsewhere: the project-bound stream gets its own project's row, never the other's,
    // and the page of sample/dev nothing for prod.
    await report(test.project, 'prod', { phase: 'deploying', detail: 'deploy, step apply' });
    await report(test.otherProject, 'dev', { phase: 'healthy' });
    const own = await bound.nextOf('fleet');
    expect(own.data).toContain(`id="env-${test.otherProject}__dev"`);
    expect(own.data).not.toContain(test.project + '__');
    const prod = await fleet.nextOf('fleet');
    expect(prod.data).toContain(`id="env-${test.project}__prod"`);
    expect(prod.data).toContain('deploy, step apply');

    await report(test.project, 'dev', { phase: 'healthy' });
    expect((await page.nextOf('changed')).data).toBe('');
  });

  it('keeps the newest report by workflow time, and drops reports of environments not registered', async () => {
    const now = Date.now();
    await report(test.project, 'prod', { phase: 'healthy' }, now);
    await report(test.project, 'prod', { phase: 'deploying', detail: 'replayed' }, now - 1_000);
    await report(test.project, 'gone', { phase: 'healthy' }, now);
    const { rows } = await test.pool.query('SELECT environment, phase, detail FROM environment_live WHERE project = $1 ORDER BY environment', [test.project]);
    expect(rows).toEqual([
      { environment: 'dev', phase: 'healthy', detail: null },
      { environment: 'prod', phase: 'healthy', detail: null },
    ]);
  });

  it('hands each notice to a stream once, however often the feed took and gave back its connection', async () => {
    // One connection in the pool: every stream after the first gets the very connection the last one gave back.
    const pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 1 });
    const feed = new LiveFeed(pool);
    const notify = (environment: string) => test.pool.query('SELECT pg_notify($1, $2)', [LIVE_STATUS_CHANNEL, JSON.stringify([[test.project, environment]])]);
    try {
      for (let round = 0; round < 4; round += 1) {
        const seen: string[] = [];
        const off = feed.subscribe((change) => change.type === 'changed' && seen.push(...change.refs.map((ref) => ref.environment)));
        // Listening once a notice sent now arrives.
        await vi.waitFor(async () => {
          await notify(`round-${round}`);
          expect(seen).toContain(`round-${round}`);
        });
        off();
      }
      const seen: string[] = [];
      const off = feed.subscribe((change) => change.type === 'changed' && seen.push(...change.refs.map((ref) => ref.environment)));
      await vi.waitFor(async () => {
        await notify('probe');
        expect(seen).toContain('probe');
      });
      await notify('once');
      await notify('after');
      await vi.waitFor(() => expect(seen).toContain('after'));
      expect(seen.filter((environment) => environment === 'once')).toEqual(['once']);
      off();
    } finally {
      await pool.end();
    }
  });

  it('shows the live status in the fleet page, filters on it, and refuses a stream of another project', async () => {
    await report(test.project, 'prod', { phase: 'waiting', detail: 'approval' });
    const waiting = await test.app.request(`/?project=${test.project}&status=waiting`, { headers: { Cookie: `deployer_session=${test.tokens.reader}` } });
    const html = await waiting.text();
    expect(html).toContain(`id="env-${test.project}__prod"`);
    expect(html).not.toContain(`id="env-${test.project}__dev"`);
    expect(html).toContain('approval');
    const refused = await test.app.request(`/dashboard/events?project=${test.project}`, { headers: { Cookie: `deployer_session=${test.tokens.otherProjectAdmin}` } });
    expect(refused.status).toBe(403);
  });
});
