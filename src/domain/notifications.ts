// Notifications: what the deployer tells other systems about an environment (a release became
// healthy, a request is held by a freeze…), who wants to hear it, and the two shapes it is told in
// — a CloudEvents 1.0 structured JSON event, or a Slack incoming-webhook message. Plain rules and
// builders; storing subscriptions, signing and sending are the layers' above.
import { isSlug, SLUG_RULE } from './request-rules.js';

/** The events a subscription may ask for, as CloudEvents `type`s (reverse-DNS, as the spec suggests). */
export const NOTIFICATION_EVENT_TYPES = [
  'dev.deployer.request.accepted',
  'dev.deployer.request.held',
  'dev.deployer.approval.requested',
  'dev.deployer.release.started',
  'dev.deployer.release.healthy',
  'dev.deployer.release.failed',
  'dev.deployer.release.rolled-back',
  'dev.deployer.release.cancelled',
  'dev.deployer.drift.corrected',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** Every event, present and future: a subscription that lists it hears types added later too. */
export const ALL_EVENTS = '*';
const TYPE_PREFIX = 'dev.deployer.';

export const NOTIFICATION_FORMATS = ['cloudevents', 'slack'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

export function isNotificationEventType(value: string): value is NotificationEventType {
  return (NOTIFICATION_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * An event name as people type it: the full type, or the part after `dev.deployer.`
 * (`release.healthy`), or `*`. Unknown names come back as given, for the validation to name.
 */
export function expandEventName(name: string): string {
  const trimmed = name.trim();
  return trimmed === ALL_EVENTS || trimmed.startsWith(TYPE_PREFIX) ? trimmed : `${TYPE_PREFIX}${trimmed}`;
}

/**
 * One thing that happened to an environment, as the workflow reports it. Everything here comes from
 * workflow data, so a replayed or retried report is the same event with the same `id`.
 */
export interface NotificationEvent {
  /** the idempotency id: the same for every delivery attempt of this event (see notificationEventId) */
  id: string;
  type: NotificationEventType;
  project: string;
  environment: string;
  /** when it happened (ISO 8601), from the workflow's clock */
  time: string;
  requestId?: string;
  /** the release's sequence number in the environment */
  releaseSeq?: number;
  imageRef?: string;
  opsSha?: string;
  /** who asked (a token's name, a user) */
  actor?: string;
  reason?: string;
  error?: string;
  /** anything else worth a line: what a drift pass noticed, which freeze holds a request */
  detail?: string;
}

/**
 * The id of an event, deterministic from workflow data: the workflow, what the event is about (a
 * request id, or another key unique in the workflow such as a history row's), and its type. A
 * receiver seeing the same id twice is seeing one event delivered twice.
 */
export function notificationEventId(workflowId: string, occurrence: string, type: NotificationEventType): string {
  return `${workflowId}/${occurrence}/${type}`;
}

/**
 * How deliveries are retried: the workflow's activity options and the activity's own judgement of
 * when it has had its last attempt (it records `failed` then instead of `pending`) use these.
 * About 20 minutes of trying in all; the receiver's outage never reaches the deployment.
 */
export const NOTIFICATION_DELIVERY = {
  /** one POST; a receiver slower than this counts as unreachable */
  requestTimeoutMs: 10_000,
  /** the activity's start-to-close timeout: the POST and two small database writes */
  attemptTimeoutMs: 30_000,
  initialIntervalMs: 2_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 5 * 60_000,
  maximumAttempts: 10,
} as const;

// ---------------------------------------------------------------------------------------------
// Subscriptions

/** A subscription as asked for, by the API's field names. */
export interface SubscriptionRequest {
  project: unknown;
  environment?: unknown;
  url: unknown;
  format: unknown;
  events: unknown;
  secret?: unknown;
}

export interface SubscriptionProblem {
  field: 'project' | 'environment' | 'url' | 'format' | 'events' | 'secret';
  message: string;
}

export const MAX_NOTIFICATION_URL_LENGTH = 2048;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;
export const NOTIFICATION_URL_RULE = 'must be an http:// or https:// URL with a host and no user name or password, e.g. https://hooks.example.com/deployer';

/**
 * Why `url` cannot receive notifications, or undefined. The URL is never quoted: it may carry a
 * credential (a Slack webhook's path is one), and the message is recorded in the audit log.
 */
export function notificationUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string') return `must be a string: ${NOTIFICATION_URL_RULE}`;
  if (url.length === 0) return `is empty: ${NOTIFICATION_URL_RULE}`;
  if (url.length > MAX_NOTIFICATION_URL_LENGTH) return `is longer than ${MAX_NOTIFICATION_URL_LENGTH} characters`;
  if (WHITESPACE_OR_CONTROL.test(url)) return `contains whitespace or control characters: ${NOTIFICATION_URL_RULE}`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return `${scheme === undefined ? 'has no scheme' : `uses ${scheme}:, which is not allowed`}: ${NOTIFICATION_URL_RULE}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `is not a well-formed URL: ${NOTIFICATION_URL_RULE}`;
  }
  // `https:host` and `https:///host` parse, as browsers read them; a subscription spells its host out.
  if (!/^[a-z]+:\/\/[^/?#\\]/i.test(url) || parsed.hostname === '') return `names no host: ${NOTIFICATION_URL_RULE}`;
  // Credentials in a URL are shown by every read and end up in proxies' logs; the signature
  // secret is where a receiver's proof of origin belongs.
  if (parsed.username !== '' || parsed.password !== '') {
    return 'carries a user name or password, which reads and logs would show; give the receiver a secret (the signature) instead';
  }
  if (url.includes('#')) return 'has a fragment, which is never sent to the receiver';
  return undefined;
}

export function notificationFormatProblem(format: unknown): string | undefined {
  return typeof format === 'string' && (NOTIFICATION_FORMATS as readonly string[]).includes(format)
    ? undefined
    : `${JSON.stringify(format ?? null)} is not a format: give ${NOTIFICATION_FORMATS.map((f) => JSON.stringify(f)).join(' or ')}`;
}

const EVENTS_RULE = `give a non-empty list of ${NOTIFICATION_EVENT_TYPES.join(', ')}, or "${ALL_EVENTS}" for all`;

/** Why `events` cannot be subscribed to, or undefined: a non-empty list of known types or `*`, each once. */
export function notificationEventsProblem(events: unknown): string | undefined {
  if (!Array.isArray(events)) return `must be a list of event types: ${EVENTS_RULE}`;
  if (events.length === 0) return `is empty: ${EVENTS_RULE}`;
  const unknown = events.filter((event) => typeof event !== 'string' || (event !== ALL_EVENTS && !isNotificationEventType(event)));
  if (unknown.length > 0) return `${unknown.map((event) => JSON.stringify(event)).join(', ')} ${unknown.length === 1 ? 'is not an event type' : 'are not event types'}: ${EVENTS_RULE}`;
  if (new Set(events).size !== events.length) return 'lists an event type twice';
  if (events.includes(ALL_EVENTS) && events.length > 1) return `"${ALL_EVENTS}" means every event: give it alone`;
  return undefined;
}

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;

/** A signing secret follows an ops repo webhook secret's rule: long enough not to be guessed, printable. Never quoted. */
export function signingSecretProblem(secret: unknown): string | undefined {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH) {
    return `must be ${MIN_SECRET_LENGTH}-${MAX_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`;
  }
  if (/[\u0000-\u001f\u007f]/.test(secret)) return 'must not contain control characters';
  return undefined;
}

/** Every problem of a subscription, in field order; empty when it may be stored. */
export function subscriptionProblems(request: SubscriptionRequest): SubscriptionProblem[] {
  const problems: SubscriptionProblem[] = [];
  const add = (field: SubscriptionProblem['field'], problem: string | undefined) => {
    if (problem) problems.push({ field, message: `${field}: ${problem}` });
  };
  if (request.project === undefined) add('project', 'is required');
  else add('project', typeof request.project === 'string' && isSlug(request.project) ? undefined : `${JSON.stringify(request.project)} ${SLUG_RULE}`);
  if (request.environment !== undefined && request.environment !== null) {
    add('environment', typeof request.environment === 'string' && isSlug(request.environment) ? undefined : `${JSON.stringify(request.environment)} ${SLUG_RULE}`);
  }
  add('url', request.url === undefined ? 'is required' : notificationUrlProblem(request.url));
  add('format', request.format === undefined ? 'is required' : notificationFormatProblem(request.format));
  add('events', request.events === undefined ? 'is required' : notificationEventsProblem(request.events));
  if (request.secret !== undefined && request.secret !== null) add('secret', signingSecretProblem(request.secret));
  return problems;
}

/** Whether a subscription to `events` (for `environment`, or the whole project when null) hears `event`. */
export function subscriptionWants(subscription: { environment: string | null; events: readonly string[] }, event: Pick<NotificationEvent, 'environment' | 'type'>): boolean {
  return (
    (subscription.environment === null || subscription.environment === event.environment) &&
    (subscription.events.includes(ALL_EVENTS) || subscription.events.includes(event.type))
  );
}

/** `scheme://host/…`: what may be shown of a receiver's URL in logs, errors and audit rows. */
export function urlOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 || parsed.search ? '/…' : '/'}`;
  } catch {
    return '(not a URL)';
  }
}

// ---------------------------------------------------------------------------------------------
// What a receiver's answer means

export type DeliveryVerdict =
  | { kind: 'delivered' }
  /** worth another attempt: the receiver is down, slow, overloaded or asked us to wait */
  | { kind: 'retry'; reason: string }
  /** another attempt would get the same answer: the URL or the receiver's configuration is wrong */
  | { kind: 'refused'; reason: string };

/** What an HTTP status from a receiver means for the delivery. */
export function deliveryVerdict(status: number, statusText = ''): DeliveryVerdict {
  const answered = `the receiver answered ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  // 408 and 429 say "not now"; 5xx is the receiver's trouble, not ours.
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', reason: answered };
  if (status >= 300 && status < 400) return { kind: 'refused', reason: `${answered} (a redirect, which is not followed: give the subscription the final URL)` };
  return { kind: 'refused', reason: answered };
}

/** Last errors are kept short in the delivery log: enough to act on, never a receiver's whole page. */
export const MAX_DELIVERY_ERROR_LENGTH = 1000;

export function boundedDeliveryError(message: string): string {
  const clean = message.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
  return clean.length <= MAX_DELIVERY_ERROR_LENGTH ? clean : `${clean.slice(0, MAX_DELIVERY_ERROR_LENGTH - 1)}…`;
}

// ---------------------------------------------------------------------------------------------
// The bodies

/** Error texts in bodies are bounded: a failed render's message can be long, a chat line should not be. */
const MAX_DATA_TEXT = 4_000;
const MAX_SLACK_TEXT = 300;

function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `/deployer/projects/P/environments/E`: the CloudEvents `source`, a URI-reference naming the environment. */
export function eventSource(event: Pick<NotificationEvent, 'project' | 'environment'>): string {
  return `/deployer/projects/${encodeURIComponent(event.project)}/environments/${encodeURIComponent(event.environment)}`;
}

/** The CloudEvents `subject`: the release when there is one, else the request, else none. */
function eventSubject(event: NotificationEvent): string | undefined {
  if (event.releaseSeq !== undefined) return `releases/${event.releaseSeq}`;
  if (event.requestId !== undefined) return `requests/${event.requestId}`;
  return undefined;
}

/** The CloudEvents 1.0 event in structured mode (application/cloudevents+json); data in the API's snake_case. */
export function cloudEvent(event: NotificationEvent): Record<string, unknown> {
  const data: Record<string, unknown> = {
    project: event.project,
    environment: event.environment,
    request_id: event.requestId,
    release: event.releaseSeq,
    image_ref: event.imageRef,
    ops_sha: event.opsSha,
    actor: event.actor,
    reason: clip(event.reason, MAX_DATA_TEXT),
    error: clip(event.error, MAX_DATA_TEXT),
    detail: clip(event.detail, MAX_DATA_TEXT),
  };
  const subject = eventSubject(event);
  return {
    specversion: '1.0',
    id: event.id,
    source: eventSource(event),
    type: event.type,
    time: event.time,
    datacontenttype: 'application/json',
    ...(subject === undefined ? {} : { subject }),
    data: Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined)),
  };
}

/** Each event's icon and line; `release` is " #12" or "". */
const HEADLINE: Record<NotificationEventType, { icon: string; says: (release: string) => string }> = {
  'dev.deployer.request.accepted': { icon: ':inbox_tray:', says: () => 'took a request' },
  'dev.deployer.request.held': { icon: ':snowflake:', says: () => 'holds a request: deployments are frozen' },
  'dev.deployer.approval.requested': { icon: ':raised_hand:', says: (release) => `release${release} waits for an approval` },
  'dev.deployer.release.started': { icon: ':rocket:', says: (release) => `release${release} started` },
  'dev.deployer.release.healthy': { icon: ':white_check_mark:', says: (release) => `release${release} is healthy` },
  'dev.deployer.release.failed': { icon: ':x:', says: (release) => `release${release} failed` },
  'dev.deployer.release.rolled-back': { icon: ':rewind:', says: (release) => `rolled back${release ? ` (release${release})` : ''}` },
  'dev.deployer.release.cancelled': { icon: ':no_entry_sign:', says: (release) => `release${release} was cancelled` },
  'dev.deployer.drift.corrected': { icon: ':wrench:', says: () => 'drift corrected' },
};

/** Slack's mrkdwn treats these three as markup; everything else in a value is shown as it is. */
function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `` `text` `` unless the text holds a backtick, which would end the code span early. */
function code(text: string): string {
  return text.includes('`') ? mrkdwn(text) : `\`${mrkdwn(text)}\``;
}

/**
 * A Slack incoming-webhook message: `text` (the notification's and fallback's line) and two blocks,
 * the headline with the release, and a context line with who, why and the event's type.
 */
export function slackMessage(event: NotificationEvent): Record<string, unknown> {
  const { icon, says } = HEADLINE[event.type];
  const where = `${event.project}/${event.environment}`;
  const headline = says(event.releaseSeq === undefined ? '' : ` #${event.releaseSeq}`);
  const facts = [
    event.imageRef && code(event.imageRef),
    event.opsSha && `ops ${code(event.opsSha.slice(0, 12))}`,
    event.actor && `by ${mrkdwn(event.actor)}`,
  ].filter(Boolean);
  const lines = [`${icon} *${mrkdwn(where)}* ${headline}`];
  if (facts.length > 0) lines.push(facts.join(' · '));
  const error = clip(event.error, MAX_SLACK_TEXT);
  if (error) lines.push(`> ${mrkdwn(error).replace(/\n/g, '\n> ')}`);
  const detail = clip(event.detail, MAX_SLACK_TEXT);
  if (detail) lines.push(mrkdwn(detail));
  const context = [
    event.reason && `reason: ${mrkdwn(clip(event.reason, MAX_SLACK_TEXT)!)}`,
    event.requestId && `request ${mrkdwn(event.requestId)}`,
    event.type,
  ].filter(Boolean);
  const plain = `${where} ${headline}${event.imageRef ? ` (${event.imageRef})` : ''}${error ? `: ${error}` : ''}`;
  return {
    text: mrkdwn(plain),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    ],
  };
}

/** The body sent to a receiver, and its Content-Type: the exact bytes that are signed. */
export function notificationBody(format: NotificationFormat, event: NotificationEvent): { contentType: string; body: string } {
  return format === 'cloudevents'
    ? { contentType: 'application/cloudevents+json; charset=utf-8', body: JSON.stringify(cloudEvent(event)) }
    : { contentType: 'application/json; charset=utf-8', body: JSON.stringify(slackMessage(event)) };
}
