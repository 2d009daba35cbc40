// The API's end of the live feed: one Postgres connection per API process listens on the channel
// the workers notify when environments' live statuses change (src/db/live-status.ts), and hands
// each notice to every open event stream of the dashboard. Nothing polls: a client learns of a
// change when a workflow reports it. The connection is taken on the first stream and given back
// after the last, so an API nobody watches holds none. When it breaks (Postgres restarting), the
// streams are told to read everything afresh once it is back, since notices were missed meanwhile.
import type pg from 'pg';
import type { EnvironmentRef } from '../domain/vocabulary.js';
import { LIVE_STATUS_CHANNEL } from '../db/live-status.js';

export type LiveChange = { type: 'changed'; refs: EnvironmentRef[] } | { type: 'resync' };
type Listener = (change: LiveChange) => void;

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export function parseLiveNotice(payload: string | undefined): EnvironmentRef[] {
  try {
    const parsed: unknown = JSON.parse(payload ?? '');
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry) =>
      Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string' ? [{ project: entry[0], environment: entry[1] }] : [],
    );
  } catch {
    return [];
  }
}

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private client: pg.PoolClient | undefined;
  private connecting = false;
  private reconnectMs = RECONNECT_MIN_MS;
  private missed = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    void this.listen();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.release();
    };
  }

  private emit(change: LiveChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private async listen(): Promise<void> {
    if (this.client || this.connecting || this.listeners.size === 0) return;
    this.connecting = true;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      client.on('notification', this.onNotification);
      client.on('error', this.onError);
      await client.query(`LISTEN ${LIVE_STATUS_CHANNEL}`);
      this.client = client;
      this.reconnectMs = RECONNECT_MIN_MS;
      if (this.missed) {
        this.missed = false;
        this.emit({ type: 'resync' });
      }
      if (this.listeners.size === 0) this.release();
    } catch {
      if (client) this.detach(client, true);
      this.missed = true;
      const timer = setTimeout(() => void this.listen(), this.reconnectMs);
      timer.unref();
      this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
    } finally {
      this.connecting = false;
    }
  }

  private readonly onNotification = (message: pg.Notification): void => {
    if (message.channel === LIVE_STATUS_CHANNEL) this.emit({ type: 'changed', refs: parseLiveNotice(message.payload) });
  };

  private readonly onError = (): void => {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.detach(client, true);
    this.missed = true;
    void this.listen();
  };

  /** Back to the pool without this feed's handlers (the pool hands the connection out again); `destroy` when it broke. */
  private detach(client: pg.PoolClient, destroy: boolean): void {
    client.off('notification', this.onNotification);
    client.off('error', this.onError);
    client.release(destroy);
  }

  private release(): void {
    const client = this.client;
    this.client = undefined;
    // UNLISTEN before the connection goes back to the pool for other queries.
    if (client) void client.query(`UNLISTEN ${LIVE_STATUS_CHANNEL}`).then(() => this.detach(client, false), () => this.detach(client, true));
  }
}

const feeds = new WeakMap<pg.Pool, LiveFeed>();

/** The process's feed for this database: one connection however many streams are open. */
export function liveFeedFor(pool: pg.Pool): LiveFeed {
  let feed = feeds.get(pool);
  if (!feed) {
    feed = new LiveFeed(pool);
    feeds.set(pool, feed);
  }
  return feed;
}
