// What the environment workflows did in a window of time, read from their Temporal histories:
// every event and every activity scheduled, following continue-as-new back through earlier runs.
// Method-neutral: it counts the same for any version of the workflow code.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface HistoryCounts {
  workflows: number;
  events: number;
  activitiesScheduled: number;
  activitiesByType: Record<string, number>;
  workflowTasks: number;
}

function eventMs(event: temporal.api.history.v1.IHistoryEvent): number {
  const time = event.eventTime;
  if (!time) return 0;
  return Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

/** Counts the events of workflow `workflowId` (all its runs) whose time falls in [from, to). */
async function countWorkflow(client: Client, workflowId: string, from: number, to: number, counts: HistoryCounts): Promise<void> {
  let runId: string | undefined;
  for (let runs = 0; runs < 50; runs++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    for (const event of events) {
      const at = eventMs(event);
      if (at < from || at >= to) continue;
      counts.events += 1;
      if (event.activityTaskScheduledEventAttributes) {
        counts.activitiesScheduled += 1;
        const type = event.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
        counts.activitiesByType[type] = (counts.activitiesByType[type] ?? 0) + 1;
      }
      if (event.workflowTaskScheduledEventAttributes) counts.workflowTasks += 1;
    }
    const first = events[0];
    const previous = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    // An earlier run matters only if this one started inside the window.
    if (!previous || !first || eventMs(first) < from) return;
    runId = previous;
  }
}

export async function countHistories(client: Client, workflowIds: string[], from: number, to: number): Promise<HistoryCounts> {
  const counts: HistoryCounts = { workflows: workflowIds.length, events: 0, activitiesScheduled: 0, activitiesByType: {}, workflowTasks: 0 };
  for (const id of workflowIds) await countWorkflow(client, id, from, to, counts);
  return counts;
}

/** `count` items of `items` picked at random (all of them when there are fewer). */
export function sample<T>(items: readonly T[], count: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, count);
}

/**
 * Workflows on the run's task queues other than the environments' (`deploy/…`): the helpers newer
 * code starts, such as a cluster watcher or ops repo pollers. Their cost belongs to the fleet too.
 */
export async function helperWorkflowIds(client: Client, taskQueue: string): Promise<string[]> {
  const ids = new Set<string>();
  try {
    for await (const execution of client.workflow.list({ query: `TaskQueue STARTS_WITH "${taskQueue}"` })) {
      if (!execution.workflowId.startsWith('deploy/')) ids.add(execution.workflowId);
    }
  } catch {
    // A visibility store without STARTS_WITH: the queues this code is known to use.
    for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}" OR TaskQueue = "${taskQueue}-background"` })) {
      if (!execution.workflowId.startsWith('deploy/')) ids.add(execution.workflowId);
    }
  }
  return [...ids];
}


export interface ReleaseStep {
  activity: string;
  /** ms from the signal that asked for the release */
  scheduledMs: number;
  startedMs: number;
  completedMs: number;
}

export interface ReleaseTimeline {
  /** the signal's event time (ms since the epoch) */
  signalledAt: number;
  steps: ReleaseStep[];
}

/**
 * Where the time of one release went, from the workflow's history: the first request (a signal, or
 * the workflow task that carried an update) at or after
 * `since`, then each activity scheduled after it (scheduled, started, completed, in ms from that
 * signal) up to and including the first of `lastActivities`. Local activities leave only markers and are not steps.
 */
export async function releaseTimeline(client: Client, workflowId: string, since: number, lastActivities: string[]): Promise<ReleaseTimeline | undefined> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  // A request arrives as a signal, or as an update, which leaves no event of its own until accepted:
  // its time is that of the workflow task that carried it to the worker.
  const request = events.find((e) => (e.workflowExecutionSignaledEventAttributes || e.workflowExecutionUpdateAcceptedEventAttributes) && eventMs(e) >= since);
  if (!request) return undefined;
  const signal = request.workflowExecutionSignaledEventAttributes
    ? request
    : (events.filter((e) => e.workflowTaskScheduledEventAttributes && Number(e.eventId) < Number(request.eventId)).at(-1) ?? request);
  const signalledAt = eventMs(signal);
  const byScheduledId = new Map<string, ReleaseStep>();
  const steps: ReleaseStep[] = [];
  for (const event of events) {
    if (Number(event.eventId) <= Number(signal.eventId)) continue;
    const at = eventMs(event) - signalledAt;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const step = { activity: scheduled.activityType?.name ?? '?', scheduledMs: at, startedMs: NaN, completedMs: NaN };
      byScheduledId.set(String(event.eventId), step);
      steps.push(step);
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const step = byScheduledId.get(String(started.scheduledEventId));
      if (step) step.startedMs = at;
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const step = byScheduledId.get(String(completed.scheduledEventId));
      if (step) {
        step.completedMs = at;
        if (lastActivities.includes(step.activity)) break;
      }
    }
  }
  return { signalledAt, steps };
}
