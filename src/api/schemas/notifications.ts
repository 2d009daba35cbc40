// Bodies of the notification routes: subscriptions (a write-only signing secret) and the delivery
// log. Each field is checked by the domain's rules, so the API, the CLI and the store agree.
import { z } from '@hono/zod-openapi';
import {
  ALL_EVENTS,
  MAX_NOTIFICATION_URL_LENGTH,
  MAX_SECRET_LENGTH,
  MIN_SECRET_LENGTH,
  NOTIFICATION_EVENT_TYPES,
  NOTIFICATION_FORMATS,
  notificationEventsProblem,
  notificationFormatProblem,
  notificationUrlProblem,
  signingSecretProblem,
} from '../../domain/notifications.js';
import { MAX_DELIVERIES_LISTED } from '../../db/notifications.js';
import { slug } from './common.js';

function rule(problemOf: (value: unknown) => string | undefined) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    const problem = problemOf(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

export const subscriptionCreate = z
  .strictObject({
    project: slug('shop').openapi({ description: 'the project whose events are sent; it must have a registered environment' }),
    environment: slug('prod').nullable().optional().openapi({ description: 'one environment of the project; absent or null: all of them' }),
    url: z
      .string()
      .superRefine(rule(notificationUrlProblem))
      .openapi({
        description: 'where events are POSTed: http:// or https://, no user name or password (a Slack webhook URL is a credential: only admins read it)',
        maxLength: MAX_NOTIFICATION_URL_LENGTH,
        example: 'https://hooks.example.com/deployer',
      }),
    format: z
      .string()
      .superRefine(rule(notificationFormatProblem))
      .openapi({ enum: [...NOTIFICATION_FORMATS], description: 'cloudevents: CloudEvents 1.0 structured JSON; slack: a Slack incoming-webhook message', example: 'cloudevents' }),
    events: z
      .array(z.string())
      .superRefine(rule(notificationEventsProblem))
      .openapi({
        description: `the event types to send, or ["${ALL_EVENTS}"] for every one (also those added later)`,
        example: ['dev.deployer.release.healthy', 'dev.deployer.release.failed'],
      }),
    secret: z
      .string()
      .superRefine(rule(signingSecretProblem))
      .openapi({
        description: 'write-only: signs every delivery (X-Deployer-Signature); never returned, see secret_set. Absent: deliveries are not signed',
        writeOnly: true,
        minLength: MIN_SECRET_LENGTH,
        maxLength: MAX_SECRET_LENGTH,
      })
      .optional(),
  })
  .openapi('NotificationSubscriptionCreate');

export const subscriptionParams = z.object({
  id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});

export const subscriptionListQuery = z.strictObject({
  project: slug('shop').optional().openapi({ param: { name: 'project', in: 'query' }, description: 'only this project\'s subscriptions' }),
});

export const subscription = z
  .object({
    id: z.number().int(),
    project: z.string(),
    environment: z.string().nullable().openapi({ description: 'null: every environment of the project' }),
    events: z.array(z.string()).openapi({ description: `event types, or ["${ALL_EVENTS}"]; known types: ${NOTIFICATION_EVENT_TYPES.join(', ')}` }),
    url: z.string(),
    format: z.enum(NOTIFICATION_FORMATS),
    secret_set: z.boolean().openapi({ description: 'whether deliveries are signed (the secret itself is never returned)' }),
    created_by: z.string().openapi({ description: 'the name of the token that created it' }),
    created_at: z.string(),
  })
  .openapi('NotificationSubscription');

export const subscriptionList = z.object({ items: z.array(subscription) }).openapi('NotificationSubscriptionList');

export const deliveryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_DELIVERIES_LISTED).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
});

export const delivery = z
  .object({
    id: z.number().int(),
    subscription_id: z.number().int(),
    event_id: z.string().openapi({ description: 'the idempotency id: the CloudEvents id and the Idempotency-Key header of every attempt' }),
    event_type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']).openapi({ description: 'pending: an attempt failed and another will follow; failed: refused by the receiver, or every attempt spent' }),
    attempts: z.number().int(),
    last_http_status: z.number().int().nullable().openapi({ description: "the receiver's answer to the last attempt; null when it gave none" }),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi('NotificationDelivery');

export const deliveryList = z.object({ items: z.array(delivery) }).openapi('NotificationDeliveryList');
