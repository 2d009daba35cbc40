// One event told to every subscription that wants it, as a short workflow of its own. The
// environment workflow starts it and does not wait: the deliveries' retries (minutes, when a
// receiver is down) run here, so a failing receiver never delays or fails a deployment, and the
// event outlives the run that started it. Its activities run on the background task queue.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DeliverNotificationResult } from '../activities/notify.js';
import type { DeployerActivities } from '../activities/types.js';
import { NOTIFICATION_DELIVERY, type NotificationEvent } from '../src/domain/notifications.js';
import { backgroundTaskQueue } from './messages.js';

export interface NotificationOutcome {
  delivered: number;
  /** deliveries whose every attempt failed (the delivery log says why) */
  failed: number;
}

export async function notificationWorkflow(event: NotificationEvent): Promise<NotificationOutcome> {
  const taskQueue = backgroundTaskQueue(workflowInfo().taskQueue);
  const { listNotificationSubscribers } = proxyActivities<Pick<DeployerActivities, 'listNotificationSubscribers'>>({
    startToCloseTimeout: '30 seconds',
    taskQueue,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  const { deliverNotification } = proxyActivities<Pick<DeployerActivities, 'deliverNotification'>>({
    startToCloseTimeout: NOTIFICATION_DELIVERY.attemptTimeoutMs,
    taskQueue,
    retry: {
      initialInterval: NOTIFICATION_DELIVERY.initialIntervalMs,
      backoffCoefficient: NOTIFICATION_DELIVERY.backoffCoefficient,
      maximumInterval: NOTIFICATION_DELIVERY.maximumIntervalMs,
      maximumAttempts: NOTIFICATION_DELIVERY.maximumAttempts,
    },
  });
  const { subscriptionIds } = await listNotificationSubscribers({ project: event.project, environment: event.environment, type: event.type });
  const results = await Promise.allSettled(subscriptionIds.map((subscriptionId) => deliverNotification({ subscriptionId, event })));
  const delivered = results.filter((r): r is PromiseFulfilledResult<DeliverNotificationResult> => r.status === 'fulfilled' && r.value.status === 'delivered').length;
  return { delivered, failed: results.filter((r) => r.status === 'rejected').length };
}
