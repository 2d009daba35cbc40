// Telling subscribers what happened to an environment: each event starts a notification workflow
// (notification.ts) as an abandoned child, without waiting for it, so delivery runs beside the
// deployment and never holds it up. Only environments a subscription covers send events (the
// policy's `notifications`, set by the loader): the rest start nothing at all.
import { ParentClosePolicy, WorkflowIdReusePolicy, log, patched, startChild } from '@temporalio/workflow';
import { notificationEventId, type NotificationEvent, type NotificationEventType } from '../src/domain/notifications.js';
import type { EnvironmentRef, EnvironmentPolicy } from '../src/domain/vocabulary.js';
import { environmentWorkflowId } from './messages.js';
import { notificationWorkflow } from './notification.js';

export type EventFields = Omit<NotificationEvent, 'id' | 'type' | 'project' | 'environment' | 'time'>;

/** One notification workflow per event: the event's id names it, so an event is never started twice. */
export function notificationWorkflowId(eventId: string): string {
  return `notify/${eventId}`;
}

/** The starts not yet acknowledged; a run ends (or continues as new) only once they are. */
export class Notifier {
  private readonly starting = new Set<Promise<unknown>>();

  constructor(private readonly ref: EnvironmentRef) {}

  /**
   * Starts telling of `type`; `occurrence` makes the event's id (a request id, a release's
   * sequence number, a history row's key) so a retried report is the same event.
   */
  send(policy: Pick<EnvironmentPolicy, 'notifications'>, type: NotificationEventType, occurrence: string, fields: EventFields): void {
    // Runs that started before events existed issue no command here; they replay without one.
    if (!policy.notifications || !patched('send-notifications')) return;
    // The environment's workflow id, from the environment itself: the same in every run and replay.
    const event: NotificationEvent = {
      id: notificationEventId(environmentWorkflowId(this.ref.project, this.ref.environment), occurrence, type),
      type,
      ...this.ref,
      time: new Date(Date.now()).toISOString(),
      ...withoutUndefined(fields),
    };
    const started = startChild(notificationWorkflow, {
      workflowId: notificationWorkflowId(event.id),
      args: [event],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    }).catch((error: unknown) => {
      // Already started (the same event reported again): the earlier one tells it.
      log.warn('notification not started', { type, eventId: event.id, error: (error as Error).message });
    });
    this.starting.add(started);
    void started.finally(() => this.starting.delete(started));
  }

  /** Resolves once every start so far was acknowledged. */
  async settled(): Promise<void> {
    while (this.starting.size > 0) await Promise.all([...this.starting]);
  }
}

/** Absent fields stay out of the event (payloads carry no `undefined`). */
function withoutUndefined(fields: EventFields): EventFields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as EventFields;
}
