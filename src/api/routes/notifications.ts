// Administration of notification subscriptions (which events of a project or environment go where,
// in which format, signed with which secret) and the log of their deliveries. Admin scope with a
// global token, like ops repos: a subscription's URL can be a credential (a Slack webhook's is).
import { createRoute } from '@hono/zod-openapi';
import {
  createSubscription,
  deleteSubscription,
  findSubscription,
  listDeliveries,
  listSubscriptions,
  SubscriptionTargetMissing,
} from '../../db/notifications.js';
import { urlOrigin, type NotificationFormat } from '../../domain/notifications.js';
import type { ResolvedApiDeps } from '../deps.js';
import { invalidRequest, notFound } from '../errors.js';
import type { Guards } from '../middleware/guards.js';
import { presentDelivery, presentSubscription } from '../presenters.js';
import { pushPolicy } from '../push-policy.js';
import { createRouter } from '../router.js';
import { bearerSecurity, mutationErrors, readErrors, requestIdHeaders } from '../schemas/common.js';
import {
  deliveryList,
  deliveryQuery,
  subscription,
  subscriptionCreate,
  subscriptionList,
  subscriptionListQuery,
  subscriptionParams,
} from '../schemas/notifications.js';

export function notificationRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const json = <S>(schema: S) => ({ content: { 'application/json': { schema } } });
  const base = { tags: ['notifications'], security: bearerSecurity };

  router.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/',
      summary: 'List notification subscriptions',
      middleware: guards.read('admin'),
      request: { query: subscriptionListQuery },
      responses: { 200: { description: 'the subscriptions, oldest first; secrets are never shown', ...json(subscriptionList) }, ...readErrors },
    }),
    async (c) => {
      const { project } = c.req.valid('query');
      return c.json({ items: (await listSubscriptions(deps.pool, { project })).map(presentSubscription) }, 200);
    },
  );

  const create = createRoute({
    ...base,
    method: 'post',
    path: '/',
    summary: 'Subscribe a URL to events of a project or one of its environments',
    middleware: guards.mutation('admin', 'notification_subscription.create'),
    request: { headers: requestIdHeaders, body: { required: true, ...json(subscriptionCreate) } },
    responses: { 201: { description: 'subscribed', ...json(subscription) }, ...mutationErrors },
  });
  router.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const row = await createSubscription(
      deps.pool,
      {
        project: body.project,
        environment: body.environment ?? null,
        events: body.events,
        url: body.url,
        format: body.format as NotificationFormat,
        secret: body.secret ?? null,
        createdBy: c.get('principal').name,
      },
      deps.payloadKeys ?? undefined,
    ).catch((error: unknown) => {
      if (error instanceof SubscriptionTargetMissing) throw invalidRequest([{ field: error.field, message: error.message }]);
      throw error;
    });
    // The workflows it covers send events only once they know someone listens.
    await pushPolicy(deps, row.project, row.environment);
    // The audit row names the receiver by its origin: the rest of a webhook URL may be its credential.
    c.set('auditDetails', {
      subscription_id: row.id,
      project: row.project,
      environment: row.environment,
      events: row.events,
      format: row.format,
      url: urlOrigin(row.url),
      secret_set: row.secretSet,
    });
    return c.json(presentSubscription(row), 201);
  });

  router.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/{id}',
      summary: 'One notification subscription',
      middleware: guards.read('admin'),
      request: { params: subscriptionParams },
      responses: { 200: { description: 'the subscription', ...json(subscription) }, ...readErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await findSubscription(deps.pool, id);
      if (!row) throw notFound(`no notification subscription with id ${id}`);
      return c.json(presentSubscription(row), 200);
    },
  );

  const remove = createRoute({
    ...base,
    method: 'delete',
    path: '/{id}',
    summary: 'Delete a subscription and its delivery log; deliveries still being retried end without sending',
    middleware: guards.mutation('admin', 'notification_subscription.delete'),
    request: { params: subscriptionParams, headers: requestIdHeaders },
    responses: { 204: { description: 'deleted' }, ...mutationErrors },
  });
  router.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    c.set('auditDetails', { subscription_id: id });
    const row = await findSubscription(deps.pool, id);
    if (!row || !(await deleteSubscription(deps.pool, id))) throw notFound(`no notification subscription with id ${id}`);
    c.set('auditDetails', { subscription_id: id, project: row.project, environment: row.environment, url: urlOrigin(row.url) });
    await pushPolicy(deps, row.project, row.environment);
    return c.body(null, 204);
  });

  router.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/{id}/deliveries',
      summary: "A subscription's delivery log, newest first: one row per event, with its attempts and the receiver's last answer",
      middleware: guards.read('admin'),
      request: { params: subscriptionParams, query: deliveryQuery },
      responses: { 200: { description: 'the deliveries', ...json(deliveryList) }, ...readErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      if (!(await findSubscription(deps.pool, id))) throw notFound(`no notification subscription with id ${id}`);
      return c.json({ items: (await listDeliveries(deps.pool, { subscriptionId: id, limit })).map(presentDelivery) }, 200);
    },
  );

  return router;
}
