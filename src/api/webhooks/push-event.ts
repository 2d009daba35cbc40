// What a push webhook says, read the same way for GitHub, Gitea and GitLab (all three send `ref`
// and `after`), and whether it concerns the ops repo's branch. Pure: headers and the parsed body in,
// a decision out.

export type GitHost = 'github' | 'gitea' | 'gitlab' | 'unknown';

export interface PushEvent {
  host: GitHost;
  /** the event header's value ("push", "Push Hook", "ping"); undefined when none was sent */
  event: string | undefined;
  /** the host's id of this delivery, for the record */
  delivery: string | undefined;
  ref: string | undefined;
  after: string | undefined;
  pusher: string | undefined;
}

export type PushDecision = { poll: true; reason: string } | { poll: false; ignored: string };

// Gitea also sends X-GitHub-Event (and X-Gogs-Event) for compatibility, so its own header goes first.
const EVENT_HEADERS: Array<[GitHost, string, string[]]> = [
  ['gitea', 'X-Gitea-Event', ['X-Gitea-Delivery']],
  ['gitlab', 'X-Gitlab-Event', ['X-Gitlab-Event-UUID', 'X-Gitlab-Webhook-UUID']],
  ['github', 'X-GitHub-Event', ['X-GitHub-Delivery']],
];

const PUSH_EVENTS = new Set(['push', 'push hook']);
const MAX_TEXT = 100;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT) : undefined;
}

function field(body: unknown, ...path: string[]): unknown {
  let value: unknown = body;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

export function readPushEvent(header: (name: string) => string | undefined, body: unknown): PushEvent {
  const [host, eventHeader, deliveryHeaders] = EVENT_HEADERS.find(([, name]) => header(name) !== undefined) ?? ['unknown', undefined, []];
  return {
    host,
    event: eventHeader === undefined ? undefined : header(eventHeader),
    delivery: deliveryHeaders.map((name) => header(name)).find((value) => value !== undefined),
    ref: text(field(body, 'ref')),
    after: text(field(body, 'after')),
    pusher: text(field(body, 'pusher', 'name')) ?? text(field(body, 'pusher', 'login')) ?? text(field(body, 'user_username')) ?? text(field(body, 'sender', 'login')),
  };
}

/** Poll when the push is to the ops repo's branch; anything else (a ping, a tag, another branch) is acknowledged and ignored. */
export function decidePush(event: PushEvent, branch: string): PushDecision {
  if (event.event !== undefined && !PUSH_EVENTS.has(event.event.toLowerCase())) {
    return { poll: false, ignored: `not a push event (${event.event})` };
  }
  if (event.ref === undefined) return { poll: false, ignored: 'the payload names no ref' };
  if (event.ref !== `refs/heads/${branch}`) return { poll: false, ignored: `push to ${event.ref}, not to the ops repo's branch ${branch}` };
  const at = event.after && /^[0-9a-f]{7,64}$/i.test(event.after) ? ` (${event.after.slice(0, 8)})` : '';
  const host = event.host === 'unknown' ? 'webhook' : event.host;
  return { poll: true, reason: `${host} push to ${branch}${at}${event.pusher ? ` by ${event.pusher}` : ''}` };
}
