// Notifications without any service: the event vocabulary, what a subscription may be, the bodies
// in both formats, how a receiver's answer is judged, and the signature a receiver checks.
import { describe, expect, it } from 'vitest';
import { notificationSignature, verifyNotificationSignature } from '../../src/crypto/notification-signature.js';
import { notificationSecretFrom, storedNotificationSecret, storedWebhookSecret, webhookSecretFrom } from '../../src/crypto/webhook-secret.js';
import {
  boundedDeliveryError,
  cloudEvent,
  deliveryVerdict,
  expandEventName,
  MAX_DELIVERY_ERROR_LENGTH,
  NOTIFICATION_EVENT_TYPES,
  notificationBody,
  notificationEventId,
  slackMessage,
  subscriptionProblems,
  subscriptionWants,
  urlOrigin,
  type NotificationEvent,
} from '../../src/domain/notifications.js';
import { freshKeyring } from '../support/test-keyring.js';

const healthy: NotificationEvent = {
  id: notificationEventId('deploy/shop/prod', 'build-42', 'dev.deployer.release.healthy'),
  type: 'dev.deployer.release.healthy',
  project: 'shop',
  environment: 'prod',
  time: '2026-12-06T10:00:00.000Z',
  requestId: 'build-42',
  releaseSeq: 12,
  imageRef: 'registry.example/shop/web:1.2.0',
  opsSha: '3f2a9c1e0b7d4a5c6e8f9a0b1c2d3e4f5a6b7c8d',
  actor: 'ci',
  reason: 'build 42',
};

const valid = { project: 'shop', environment: 'prod', url: 'https://hooks.example.com/deployer', format: 'cloudevents', events: ['dev.deployer.release.healthy'] };

describe('the event vocabulary', () => {
  it('names events as reverse-DNS CloudEvents types, and an event id from workflow data alone', () => {
    for (const type of NOTIFICATION_EVENT_TYPES) expect(type).toMatch(/^dev\.deployer\.[a-z]+\.[a-z-]+$/);
    expect(NOTIFICATION_EVENT_TYPES).toEqual(expect.arrayContaining(['dev.deployer.request.accepted', 'dev.deployer.approval.requested', 'dev.deployer.release.rolled-back', 'dev.deployer.drift.corrected', 'dev.deployer.request.held']));
    expect(healthy.id).toBe('deploy/shop/prod/build-42/dev.deployer.release.healthy');
  });

  it('expands the short names people type, and leaves others for the validation to name', () => {
    expect(['release.healthy', ' dev.deployer.release.failed', '*', 'nonsense'].map(expandEventName)).toEqual([
      'dev.deployer.release.healthy',
      'dev.deployer.release.failed',
      '*',
      'dev.deployer.nonsense',
    ]);
  });
});

describe('subscriptionProblems', () => {
  it('accepts a subscription to one environment or to the whole project, signed or not', () => {
    expect(subscriptionProblems(valid)).toEqual([]);
    expect(subscriptionProblems({ ...valid, environment: undefined, url: 'http://10.0.0.5:8080/hook?team=a', format: 'slack', events: ['*'], secret: 'x'.repeat(32) })).toEqual([]);
  });

  it.each([
    ['ftp://hooks.example.com/x', 'uses ftp:'],
    ['file:///etc/passwd', 'uses file:'],
    ['javascript:alert(1)', 'uses javascript:'],
    ['hooks.example.com/x', 'has no scheme'],
    ['https:///x', 'names no host'],
    ['https:hooks.example.com', 'names no host'],
    ['https://user:pass@hooks.example.com/x', 'user name or password'],
    ['https://token@hooks.example.com/x', 'user name or password'],
    ['https://hooks.example.com/x y', 'whitespace'],
    ['https://hooks.example.com/x#frag', 'fragment'],
    [`https://hooks.example.com/${'x'.repeat(2048)}`, 'longer than 2048'],
    ['', 'is empty'],
  ])('refuses the URL %j, naming url and never quoting it', (url, why) => {
    const problems = subscriptionProblems({ ...valid, url });
    expect(problems).toEqual([{ field: 'url', message: expect.stringContaining(why) }]);
    expect(problems[0]!.message).toMatch(/^url: /);
    if (url !== '') expect(problems[0]!.message).not.toContain(url);
  });

  it('says what is allowed for each field, all at once', () => {
    const problems = subscriptionProblems({ project: 'Shop', environment: 'prod.', url: 'ftp://x', format: 'xml', events: ['release.exploded'], secret: 'short' });
    expect(problems.map((problem) => problem.field)).toEqual(['project', 'environment', 'url', 'format', 'events', 'secret']);
    expect(problems.find((p) => p.field === 'format')!.message).toContain('give "cloudevents" or "slack"');
    expect(problems.find((p) => p.field === 'events')!.message).toMatch(/"release\.exploded" is not an event type: give a non-empty list of dev\.deployer\.request\.accepted, .*or "\*" for all/);
    expect(problems.find((p) => p.field === 'url')!.message).toContain('must be an http:// or https:// URL');
    expect(problems.find((p) => p.field === 'secret')!.message).toContain('16-256 characters');
    expect(problems.find((p) => p.field === 'secret')!.message).not.toContain('short');
  });

  it('wants a project and a non-empty list of known events, "*" alone, each once', () => {
    expect(subscriptionProblems({ ...valid, project: undefined })).toEqual([{ field: 'project', message: 'project: is required' }]);
    expect(subscriptionProblems({ ...valid, events: [] })[0]!.message).toContain('events: is empty');
    expect(subscriptionProblems({ ...valid, events: 'dev.deployer.release.healthy' })[0]!.message).toContain('must be a list');
    expect(subscriptionProblems({ ...valid, events: ['*', 'dev.deployer.release.healthy'] })[0]!.message).toContain('give it alone');
    expect(subscriptionProblems({ ...valid, events: ['dev.deployer.release.healthy', 'dev.deployer.release.healthy'] })[0]!.message).toContain('twice');
    expect(subscriptionProblems({ ...valid, secret: `a-long-enough-secret\nwith-a-break` })[0]!.message).toContain('control characters');
  });

  it('matches events to a subscription by environment and type', () => {
    const event = { environment: 'prod', type: 'dev.deployer.release.healthy' as const };
    expect(subscriptionWants({ environment: null, events: ['*'] }, event)).toBe(true);
    expect(subscriptionWants({ environment: 'prod', events: ['dev.deployer.release.healthy'] }, event)).toBe(true);
    expect(subscriptionWants({ environment: 'staging', events: ['*'] }, event)).toBe(false);
    expect(subscriptionWants({ environment: null, events: ['dev.deployer.release.failed'] }, event)).toBe(false);
  });

  it("shows a receiver's URL by its origin only", () => {
    expect(urlOrigin('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe('https://hooks.slack.com/…');
    expect(urlOrigin('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/');
    expect(urlOrigin('https://chat.example/hook?key=secret')).toBe('https://chat.example/…');
  });
});

describe('the bodies', () => {
  it('builds a CloudEvents 1.0 structured event with the release in data', () => {
    expect(cloudEvent(healthy)).toEqual({
      specversion: '1.0',
      id: 'deploy/shop/prod/build-42/dev.deployer.release.healthy',
      source: '/deployer/projects/shop/environments/prod',
      type: 'dev.deployer.release.healthy',
      time: '2026-12-06T10:00:00.000Z',
      datacontenttype: 'application/json',
      subject: 'releases/12',
      data: {
        project: 'shop',
        environment: 'prod',
        request_id: 'build-42',
        release: 12,
        image_ref: 'registry.example/shop/web:1.2.0',
        ops_sha: '3f2a9c1e0b7d4a5c6e8f9a0b1c2d3e4f5a6b7c8d',
        actor: 'ci',
        reason: 'build 42',
      },
    });
    const { contentType, body } = notificationBody('cloudevents', healthy);
    expect(contentType).toBe('application/cloudevents+json; charset=utf-8');
    expect(JSON.parse(body)).toEqual(cloudEvent(healthy));
  });

  it('uses the request as subject when there is no release, and leaves both out when neither is known', () => {
    const held: NotificationEvent = { id: 'w/r/t', type: 'dev.deployer.request.held', project: 'shop', environment: 'prod', time: healthy.time, requestId: 'r-1', detail: 'freeze "black friday" until 2026-11-30T00:00:00Z' };
    expect(cloudEvent(held)).toMatchObject({ subject: 'requests/r-1', data: { detail: held.detail } });
    const drift: NotificationEvent = { id: 'w/d/t', type: 'dev.deployer.drift.corrected', project: 'shop', environment: 'prod', time: healthy.time };
    expect(cloudEvent(drift)).not.toHaveProperty('subject');
    expect(cloudEvent(drift).data).toEqual({ project: 'shop', environment: 'prod' });
  });

  it('bounds long texts in data', () => {
    const failed = { ...healthy, type: 'dev.deployer.release.failed' as const, error: 'x'.repeat(10_000) };
    const error = (cloudEvent(failed).data as { error: string }).error;
    expect(error.length).toBe(4_000);
    expect(error.endsWith('…')).toBe(true);
  });

  it('writes a short Slack message: a text line and two blocks, with markup in values escaped', () => {
    const message = slackMessage(healthy) as { text: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }> };
    expect(message.text).toBe('shop/prod release #12 is healthy (registry.example/shop/web:1.2.0)');
    expect(message.blocks.map((block) => block.type)).toEqual(['section', 'context']);
    expect(message.blocks[0]!.text!.text).toBe(':white_check_mark: *shop/prod* release #12 is healthy\n`registry.example/shop/web:1.2.0` · ops `3f2a9c1e0b7d` · by ci');
    expect(message.blocks[1]!.elements![0]!.text).toBe('reason: build 42 · request build-42 · dev.deployer.release.healthy');

    const failed = slackMessage({ ...healthy, type: 'dev.deployer.release.failed', actor: '<@U123> & co', error: `Deployment web: ProgressDeadlineExceeded ${'y'.repeat(1000)}` }) as typeof message;
    expect(failed.blocks[0]!.text!.text).toContain('by &lt;@U123&gt; &amp; co');
    expect(failed.blocks[0]!.text!.text).toMatch(/\n> Deployment web: ProgressDeadlineExceeded y+…$/);
    expect(failed.blocks[0]!.text!.text.length).toBeLessThan(500);
    const { contentType, body } = notificationBody('slack', healthy);
    expect(contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(body)).toEqual(slackMessage(healthy));
  });
});

describe("a receiver's answer", () => {
  it.each([
    [200, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [400, 'refused'],
    [401, 'refused'],
    [404, 'refused'],
    [410, 'refused'],
    [301, 'refused'],
  ])('%i means %s', (status, kind) => {
    expect(deliveryVerdict(status).kind).toBe(kind);
  });

  it('says what the receiver answered, and that a redirect is not followed', () => {
    expect(deliveryVerdict(500, 'Internal Server Error')).toEqual({ kind: 'retry', reason: 'the receiver answered 500 Internal Server Error' });
    expect(deliveryVerdict(302)).toMatchObject({ kind: 'refused', reason: expect.stringContaining('give the subscription the final URL') });
  });

  it('keeps a last error short and on one line of printable text', () => {
    expect(boundedDeliveryError('a\u0000b\u001bc')).toBe('a b c');
    const long = boundedDeliveryError('z'.repeat(5_000));
    expect(long.length).toBe(MAX_DELIVERY_ERROR_LENGTH);
  });
});

describe('the signature', () => {
  const secret = 'a-subscription-secret-0123456789';
  const body = JSON.stringify(cloudEvent(healthy));

  it('is an HMAC-SHA256 of the timestamp, a dot and the body, which a receiver verifies within five minutes', () => {
    const signature = notificationSignature(secret, 1_765_015_200, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const headers = { signature, timestamp: '1765015200' };
    expect(verifyNotificationSignature(secret, headers, body, 1_765_015_200)).toBe(true);
    expect(verifyNotificationSignature(secret, headers, body, 1_765_015_200 + 299)).toBe(true);
    expect(verifyNotificationSignature(secret, headers, body, 1_765_015_200 + 301)).toBe(false);
    expect(verifyNotificationSignature(`${secret}x`, headers, body, 1_765_015_200)).toBe(false);
    expect(verifyNotificationSignature(secret, headers, `${body} `, 1_765_015_200)).toBe(false);
    // The timestamp is signed: moving it forward to pass the window breaks the signature.
    expect(verifyNotificationSignature(secret, { signature, timestamp: '1765015260' }, body, 1_765_015_260)).toBe(false);
    expect(verifyNotificationSignature(secret, { signature: undefined, timestamp: '1765015200' }, body, 1_765_015_200)).toBe(false);
  });

  it("is sealed at rest where there are keys, for its own purpose only", () => {
    const keys = freshKeyring();
    const stored = storedNotificationSecret(secret, keys);
    expect(stored).toMatch(/^sealed:/);
    expect(stored).not.toContain(secret);
    expect(notificationSecretFrom(stored, keys)).toBe(secret);
    expect(storedNotificationSecret(secret, undefined)).toBe(secret);
    expect(storedNotificationSecret(null, keys)).toBeNull();
    expect(() => notificationSecretFrom(stored, undefined)).toThrow(/no DEPLOYER_PAYLOAD_KEYS/);
    // A sealed webhook secret copied into a subscription does not open there, nor the other way round.
    expect(() => notificationSecretFrom(storedWebhookSecret(secret, keys), keys)).toThrow(/does not verify/);
    expect(() => webhookSecretFrom(stored, keys)).toThrow(/does not verify/);
  });
});
