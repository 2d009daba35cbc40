// The worker's half of the dashboard's live feed: the environment workflows it runs report their
// live status through a sink (workflows/sinks.ts), and this writes the reports to Postgres in
// batches — the newest per environment, at most every BATCH_DELAY_MS — which also notifies the
// API. A write that fails (Postgres restarting) is retried with backoff and never fails a
// workflow: the reports wait in memory, one per environment, and the newest still wins.
import { Runtime, type InjectedSinkFunction } from '@temporalio/worker';
import type pg from 'pg';
import type { LiveStatus } from '../src/domain/live-status.js';
import { writeLiveStatuses, type LiveStatusReport } from '../src/db/live-status.js';
import type { EnvironmentSinks } from '../workflows/sinks.js';

const BATCH_DELAY_MS = 100;
const MAX_BATCH = 500;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;

export class LiveStatusWriter {
  private readonly waiting = new Map<string, LiveStatusReport>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private retryMs = RETRY_MIN_MS;

  constructor(private readonly pool: pg.Pool) {}

  report(project: string, environment: string, status: LiveStatus): void {
    const key = `${project}/${environment}`;
    const waiting = this.waiting.get(key);
    if (waiting && waiting.status.at > status.at) return;
    this.waiting.set(key, { project, environment, status });
    this.schedule(BATCH_DELAY_MS);
  }

  /**
   * The sink the worker injects. Replays report too: a worker that takes a workflow over learns
   * its status from the replay (the table keeps the newest by workflow time, so old states lose).
   */
  sink(): InjectedSinkFunction<EnvironmentSinks['environments']['live']> {
    return { fn: (_info, project, environment, status) => this.report(project, environment, status), callDuringReplay: true };
  }

  /** Writes what waits, once: when the worker stops. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.write().catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.writeAndRetry());
    }, delayMs);
    this.timer.unref();
  }

  private async writeAndRetry(): Promise<void> {
    try {
      await this.write();
      this.retryMs = RETRY_MIN_MS;
      if (this.waiting.size > 0) this.schedule(BATCH_DELAY_MS);
    } catch (error) {
      Runtime.instance().logger.warn('live statuses not written; retrying', { error: error instanceof Error ? error.message : String(error), waiting: this.waiting.size, retryInMs: this.retryMs });
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  private async write(): Promise<void> {
    const batch = [...this.waiting.values()].slice(0, MAX_BATCH);
    if (batch.length === 0) return;
    for (const report of batch) this.waiting.delete(`${report.project}/${report.environment}`);
    try {
      await writeLiveStatuses(this.pool, batch);
    } catch (error) {
      // Back in line, unless a newer report came meanwhile.
      for (const report of batch) {
        const key = `${report.project}/${report.environment}`;
        if (!this.waiting.has(key)) this.waiting.set(key, report);
      }
      throw error;
    }
  }
}
