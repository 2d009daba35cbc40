// Telling a subscriber about an event: load the subscription, build the body in its format, sign
// it, POST it with a deadline, and record the attempt in the delivery log. A receiver that is down,
// slow or overloaded fails the attempt retryably (Temporal backs off and tries again); one that
// refuses (4xx but 408/429) fails it for good. A delivery already recorded as delivered is not sent
// again, so a retried activity or a repeated call does not reach the receiver twice.
// It is to run apart from the deployment it tells of, so a failing receiver never delays or fails one.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { notificationSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../src/crypto/notification-signature.js';
import {
  findDelivery,
  recordDeliveryAttempt,
  subscriptionForDelivery,
  SubscriptionSecretUnavailable,
  subscriptionsFor,
  type DeliveryStatus,
  type SubscriptionForDelivery,
} from '../src/db/notifications.js';
import {
  deliveryVerdict,
  NOTIFICATION_DELIVERY,
  notificationBody,
  subscriptionWants,
  urlOrigin,
  type NotificationEvent,
  type NotificationEventType,
} from '../src/domain/notifications.js';
import { postNotification } from '../src/notify/send-notification.js';
import type { ActivityDeps } from './index.js';

export interface DeliverNotificationInput {
  subscriptionId: number;
  event: NotificationEvent;
}

export interface DeliverNotificationResult {
  /** delivered (now, or by an earlier attempt); skipped: the subscription is gone or does not want the event */
  status: 'delivered' | 'skipped';
  /** attempts recorded for this event and subscription */
  attempts: number;
  httpStatus?: number;
}

export interface NotificationSubscribersInput {
  project: string;
  environment: string;
  type: NotificationEventType;
}

export interface NotificationSubscribersResult {
  /** one deliverNotification each */
  subscriptionIds: number[];
}

/** Failure types: the receiver did not take it this time (retried) … */
export const NotificationReceiverUnavailable = 'NotificationReceiverUnavailable';
/** … refused it, or every attempt is spent (not retried) … */
export const NotificationUndelivered = 'NotificationUndelivered';
/** … or the subscription's secret cannot be opened on this worker (not retried). */
export const NotificationSecretUnavailable = 'NotificationSecretUnavailable';

export const NOTIFICATION_USER_AGENT = 'deployer-notifications/1';
/** The header carrying the event's idempotency id (also the CloudEvents `id`). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const EVENT_TYPE_HEADER = 'X-Deployer-Event';

export interface NotifyDeps extends Pick<ActivityDeps, 'pool' | 'payloadKeys'> {
  /** the HTTP client (tests may pass their own) */
  fetch?: typeof fetch;
  now?: () => Date;
  /** how long one POST may take (default NOTIFICATION_DELIVERY.requestTimeoutMs) */
  requestTimeoutMs?: number;
}

/** The attempt Temporal is on; 1 when called outside an activity (a script, a test). */
function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

export function createNotifyActivities(deps: NotifyDeps) {
  const now = deps.now ?? (() => new Date());
  const requestTimeoutMs = deps.requestTimeoutMs ?? NOTIFICATION_DELIVERY.requestTimeoutMs;

  return {
    async listNotificationSubscribers(input: NotificationSubscribersInput): Promise<NotificationSubscribersResult> {
      const subscriptions = await subscriptionsFor(deps.pool, input.project, input.environment, input.type);
      return { subscriptionIds: subscriptions.map((subscription) => subscription.id) };
    },

    async deliverNotification({ subscriptionId, event }: DeliverNotificationInput): Promise<DeliverNotificationResult> {
      const earlier = await findDelivery(deps.pool, subscriptionId, event.id);
      if (earlier?.status === 'delivered') {
        return { status: 'delivered', attempts: earlier.attempts, ...(earlier.lastHttpStatus === null ? {} : { httpStatus: earlier.lastHttpStatus }) };
      }
      const record = (status: DeliveryStatus, httpStatus: number | null, error: string | null) =>
        recordDeliveryAttempt(deps.pool, { subscriptionId, eventId: event.id, eventType: event.type, status, httpStatus, error });

      let subscription: SubscriptionForDelivery | undefined;
      try {
        subscription = await subscriptionForDelivery(deps.pool, subscriptionId, deps.payloadKeys);
      } catch (error) {
        if (!(error instanceof SubscriptionSecretUnavailable)) throw error;
        await record('failed', null, error.message);
        throw ApplicationFailure.create({ message: `notification ${event.type}: ${error.message}`, type: NotificationSecretUnavailable, nonRetryable: true });
      }
      if (!subscription || !subscriptionWants(subscription, event)) return { status: 'skipped', attempts: earlier?.attempts ?? 0 };

      const { contentType, body } = notificationBody(subscription.format, event);
      // Each attempt is signed afresh: its timestamp is when it was sent, and part of what is signed.
      const timestamp = Math.floor(now().getTime() / 1000);
      const headers: Record<string, string> = {
        'Content-Type': contentType,
        'User-Agent': NOTIFICATION_USER_AGENT,
        [IDEMPOTENCY_HEADER]: event.id,
        [EVENT_TYPE_HEADER]: event.type,
        [TIMESTAMP_HEADER]: String(timestamp),
        ...(subscription.secret === null ? {} : { [SIGNATURE_HEADER]: notificationSignature(subscription.secret, timestamp, body) }),
      };
      const outcome = await postNotification({ url: subscription.url, body, headers, timeoutMs: requestTimeoutMs }, deps.fetch);
      const verdict = outcome.answered ? deliveryVerdict(outcome.status, outcome.statusText) : { kind: 'retry' as const, reason: outcome.reason };
      const httpStatus = outcome.answered ? outcome.status : null;

      if (verdict.kind === 'delivered') {
        const recorded = await record('delivered', httpStatus, null);
        return { status: 'delivered', attempts: recorded?.attempts ?? 1, httpStatus: httpStatus! };
      }
      const said = outcome.answered && outcome.excerpt ? `${verdict.reason}: ${outcome.excerpt}` : verdict.reason;
      // The last attempt the retry policy allows says so itself, so the log ends "failed", not "pending".
      const attempt = attemptNumber();
      const lastAttempt = verdict.kind === 'refused' || attempt >= NOTIFICATION_DELIVERY.maximumAttempts;
      await record(lastAttempt ? 'failed' : 'pending', httpStatus, said);
      // The URL's path may be a credential (a Slack webhook's is): errors name its origin only.
      const message = `notification ${event.type} to subscription #${subscriptionId} (${urlOrigin(subscription.url)}): ${said}`;
      if (lastAttempt) {
        const spent = verdict.kind === 'retry' ? ` (gave up after ${attempt} attempts)` : '';
        throw ApplicationFailure.create({ message: `${message}${spent}`, type: NotificationUndelivered, nonRetryable: true });
      }
      const retryAfterMs = outcome.answered ? outcome.retryAfterMs : undefined;
      throw ApplicationFailure.create({
        message,
        type: NotificationReceiverUnavailable,
        nonRetryable: false,
        ...(retryAfterMs === undefined ? {} : { nextRetryDelay: retryAfterMs }),
      });
    },
  };
}
