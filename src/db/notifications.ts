// Notification subscriptions and their delivery log. A subscription's secret is written here
// (sealed where there are keys) and read back only by the delivery, which signs with it; every
// other read says whether one is set.
import type pg from 'pg';
import type { Keyring } from '../crypto/keyring.js';
import { notificationSecretFrom, storedNotificationSecret } from '../crypto/webhook-secret.js';
import { boundedDeliveryError, type NotificationFormat } from '../domain/notifications.js';

export interface SubscriptionRecord {
  id: number;
  project: string;
  /** null: every environment of the project */
  environment: string | null;
  events: string[];
  url: string;
  format: NotificationFormat;
  /** whether deliveries are signed; the secret itself is never read here */
  secretSet: boolean;
  createdBy: string;
  createdAt: Date;
}

export interface SubscriptionFields {
  project: string;
  environment: string | null;
  events: string[];
  url: string;
  format: NotificationFormat;
  /** the signing secret, sealed with the keyring given; null: deliveries are not signed */
  secret: string | null;
  createdBy: string;
}

/** What a delivery needs: the subscription with its secret opened. */
export interface SubscriptionForDelivery extends SubscriptionRecord {
  secret: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: number;
  subscriptionId: number;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryAttempt {
  subscriptionId: number;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  httpStatus: number | null;
  error: string | null;
}

const FOREIGN_KEY_VIOLATION = '23503';

/** The project, or the environment of it, that a subscription names is not registered. */
export class SubscriptionTargetMissing extends Error {
  constructor(
    readonly field: 'project' | 'environment',
    message: string,
  ) {
    super(message);
    this.name = 'SubscriptionTargetMissing';
  }
}

const COLUMNS = 'id, project, environment, events, url, format, secret IS NOT NULL AS secret_set, created_by, created_at';
const SELECT = `SELECT ${COLUMNS} FROM notification_subscriptions`;

interface RawSubscription {
  id: string;
  project: string;
  environment: string | null;
  events: string[];
  url: string;
  format: NotificationFormat;
  secret_set: boolean;
  created_by: string;
  created_at: Date;
}

function subscriptionFrom(row: RawSubscription): SubscriptionRecord {
  return {
    id: Number(row.id),
    project: row.project,
    environment: row.environment,
    events: row.events,
    url: row.url,
    format: row.format,
    secretSet: row.secret_set,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

export async function createSubscription(pool: pg.Pool, fields: SubscriptionFields, keyring?: Keyring): Promise<SubscriptionRecord> {
  try {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO notification_subscriptions (project, environment, events, url, format, secret, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [fields.project, fields.environment, fields.events, fields.url, fields.format, storedNotificationSecret(fields.secret, keyring), fields.createdBy],
    );
    return (await findSubscription(pool, Number(rows[0]!.id)))!;
  } catch (error) {
    if ((error as { code?: string; constraint?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
    // Which key failed: the environment's only when the project exists.
    const { rowCount } = await pool.query('SELECT 1 FROM projects WHERE name = $1', [fields.project]);
    if (rowCount === 0 || fields.environment === null) {
      throw new SubscriptionTargetMissing('project', `project: no environment of project ${fields.project} is registered`);
    }
    throw new SubscriptionTargetMissing('environment', `environment: ${fields.project}/${fields.environment} is not registered`);
  }
}

export async function findSubscription(pool: pg.Pool, id: number): Promise<SubscriptionRecord | undefined> {
  const { rows } = await pool.query<RawSubscription>(`${SELECT} WHERE id = $1`, [id]);
  return rows[0] && subscriptionFrom(rows[0]);
}

/** Every subscription, or those of one project, oldest first. */
export async function listSubscriptions(pool: pg.Pool, filter: { project?: string } = {}): Promise<SubscriptionRecord[]> {
  const { rows } = await pool.query<RawSubscription>(`${SELECT} WHERE ($1::text IS NULL OR project = $1) ORDER BY id`, [filter.project ?? null]);
  return rows.map(subscriptionFrom);
}

/** False when no subscription has that id. Its delivery log goes with it. */
export async function deleteSubscription(pool: pg.Pool, id: number): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM notification_subscriptions WHERE id = $1', [id]);
  return rowCount === 1;
}

/** The subscriptions that hear `eventType` from `project`/`environment`: the environment's and the whole project's. */
export async function subscriptionsFor(pool: pg.Pool, project: string, environment: string, eventType: string): Promise<SubscriptionRecord[]> {
  const { rows } = await pool.query<RawSubscription>(
    `${SELECT}
      WHERE project = $1 AND (environment IS NULL OR environment = $2) AND (events @> ARRAY[$3::text] OR events @> ARRAY['*'])
      ORDER BY id`,
    [project, environment, eventType],
  );
  return rows.map(subscriptionFrom);
}

/** A subscription's secret is sealed and these keys do not open it: no attempt can sign, so none is made. */
export class SubscriptionSecretUnavailable extends Error {
  constructor(readonly subscriptionId: number, reason: string) {
    super(`the signing secret of subscription #${subscriptionId} cannot be opened: ${reason}`);
    this.name = 'SubscriptionSecretUnavailable';
  }
}

/** The subscription with its secret opened, for a delivery to sign with; undefined when it was deleted. */
export async function subscriptionForDelivery(pool: pg.Pool, id: number, keyring: Keyring | undefined): Promise<SubscriptionForDelivery | undefined> {
  const { rows } = await pool.query<RawSubscription & { secret: string | null }>(`SELECT ${COLUMNS}, secret FROM notification_subscriptions WHERE id = $1`, [id]);
  const row = rows[0];
  if (!row) return undefined;
  let secret: string | null = null;
  if (row.secret !== null) {
    try {
      secret = notificationSecretFrom(row.secret, keyring);
    } catch (error) {
      throw new SubscriptionSecretUnavailable(Number(row.id), (error as Error).message);
    }
  }
  return { ...subscriptionFrom(row), secret };
}

const DELIVERY_COLUMNS = 'id, subscription_id, event_id, event_type, status, attempts, last_http_status, last_error, created_at, updated_at, delivered_at';

interface RawDelivery {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_http_status: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

function deliveryFrom(row: RawDelivery): DeliveryRecord {
  return {
    id: Number(row.id),
    subscriptionId: Number(row.subscription_id),
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastHttpStatus: row.last_http_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

/**
 * Records one attempt of delivering an event to a subscription: the first makes the row, each
 * later one counts itself and replaces the last answer. A delivered row stays delivered, so an
 * attempt that raced a successful one cannot undo it. Undefined when the subscription is gone.
 */
export async function recordDeliveryAttempt(pool: pg.Pool, attempt: DeliveryAttempt): Promise<DeliveryRecord | undefined> {
  try {
    const { rows } = await pool.query<RawDelivery>(
      `INSERT INTO notification_deliveries AS d (subscription_id, event_id, event_type, status, attempts, last_http_status, last_error, delivered_at)
       VALUES ($1, $2, $3, $4, 1, $5, $6, CASE WHEN $4::text = 'delivered' THEN now() END)
       ON CONFLICT (subscription_id, event_id) DO UPDATE SET
         attempts         = d.attempts + 1,
         status           = CASE WHEN d.status = 'delivered' THEN d.status ELSE EXCLUDED.status END,
         last_http_status = EXCLUDED.last_http_status,
         last_error       = EXCLUDED.last_error,
         delivered_at     = COALESCE(d.delivered_at, EXCLUDED.delivered_at),
         updated_at       = now()
       RETURNING ${DELIVERY_COLUMNS}`,
      [attempt.subscriptionId, attempt.eventId, attempt.eventType, attempt.status, attempt.httpStatus, attempt.error === null ? null : boundedDeliveryError(attempt.error)],
    );
    return deliveryFrom(rows[0]!);
  } catch (error) {
    if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return undefined;
    throw error;
  }
}

export async function findDelivery(pool: pg.Pool, subscriptionId: number, eventId: string): Promise<DeliveryRecord | undefined> {
  const { rows } = await pool.query<RawDelivery>(`SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries WHERE subscription_id = $1 AND event_id = $2`, [subscriptionId, eventId]);
  return rows[0] && deliveryFrom(rows[0]);
}

export const MAX_DELIVERIES_LISTED = 100;

/** Deliveries newest first, at most `limit` (≤ 100), of one subscription or of all. */
export async function listDeliveries(pool: pg.Pool, filter: { subscriptionId?: number; limit?: number } = {}): Promise<DeliveryRecord[]> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), MAX_DELIVERIES_LISTED);
  const { rows } = await pool.query<RawDelivery>(
    `SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries
      WHERE ($1::bigint IS NULL OR subscription_id = $1)
      ORDER BY id DESC
      LIMIT $2`,
    [filter.subscriptionId ?? null, limit],
  );
  return rows.map(deliveryFrom);
}
