// Push webhooks: the signature each git host sends, and which pushes make the poller poll.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decidePush, readPushEvent } from '../../src/api/webhooks/push-event.js';
import { verifyPushSignature } from '../../src/api/webhooks/push-signature.js';

const SECRET = 'a-webhook-secret-of-some-length';
const body = new TextEncoder().encode(JSON.stringify({ ref: 'refs/heads/main', after: 'c0ffee'.padEnd(40, '0') }));
const hmac = (secret: string, data: Uint8Array) => createHmac('sha256', secret).update(data).digest('hex');
const headers = (values: Record<string, string>) => (name: string) => Object.entries(values).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

describe('verifyPushSignature', () => {
  it("accepts GitHub's X-Hub-Signature-256, Gitea's X-Gitea-Signature and GitLab's X-Gitlab-Token made with the secret", () => {
    expect(verifyPushSignature(headers({ 'X-Hub-Signature-256': `sha256=${hmac(SECRET, body)}` }), body, SECRET)).toEqual({ ok: true, header: 'X-Hub-Signature-256' });
    expect(verifyPushSignature(headers({ 'X-Gitea-Signature': hmac(SECRET, body).toUpperCase() }), body, SECRET)).toEqual({ ok: true, header: 'X-Gitea-Signature' });
    expect(verifyPushSignature(headers({ 'X-Gitlab-Token': SECRET }), body, SECRET)).toEqual({ ok: true, header: 'X-Gitlab-Token' });
  });

  it('refuses a signature made with another secret or over another body, saying which header failed', () => {
    const other = verifyPushSignature(headers({ 'X-Hub-Signature-256': `sha256=${hmac('another-secret-entirely', body)}` }), body, SECRET);
    expect(other).toEqual({ ok: false, problem: expect.stringContaining('X-Hub-Signature-256 does not match') });
    const tampered = new TextEncoder().encode(new TextDecoder().decode(body).replace('main', 'prod'));
    expect(verifyPushSignature(headers({ 'X-Hub-Signature-256': `sha256=${hmac(SECRET, body)}` }), tampered, SECRET).ok).toBe(false);
    expect(verifyPushSignature(headers({ 'X-Gitea-Signature': hmac('another-secret-entirely', body) }), body, SECRET)).toEqual({ ok: false, problem: expect.stringContaining('X-Gitea-Signature does not match') });
    expect(verifyPushSignature(headers({ 'X-Gitlab-Token': `${SECRET}x` }), body, SECRET)).toEqual({ ok: false, problem: expect.stringContaining('X-Gitlab-Token') });
    expect(verifyPushSignature(headers({ 'X-Gitlab-Token': '' }), body, SECRET).ok).toBe(false);
  });

  it('refuses malformed and missing signatures with what was expected', () => {
    for (const value of ['', 'sha256=', `sha1=${hmac(SECRET, body)}`, `sha256=${hmac(SECRET, body).slice(2)}`, `sha256=${'z'.repeat(64)}`]) {
      expect(verifyPushSignature(headers({ 'X-Hub-Signature-256': value }), body, SECRET)).toEqual({ ok: false, problem: expect.stringContaining('"sha256=" followed by 64 hexadecimal digits') });
    }
    expect(verifyPushSignature(headers({ 'X-Gitea-Signature': 'abc' }), body, SECRET)).toEqual({ ok: false, problem: expect.stringContaining('64 hexadecimal digits') });
    expect(verifyPushSignature(headers({}), body, SECRET)).toEqual({ ok: false, problem: expect.stringContaining('expected X-Hub-Signature-256 (GitHub), X-Gitea-Signature (Gitea) or X-Gitlab-Token (GitLab)') });
  });

  it('checks the GitHub header first, as Gitea sends both', () => {
    const both = headers({ 'X-Hub-Signature-256': `sha256=${hmac('another-secret-entirely', body)}`, 'X-Gitea-Signature': hmac(SECRET, body) });
    expect(verifyPushSignature(both, body, SECRET).ok).toBe(false);
  });
});

describe('readPushEvent and decidePush', () => {
  const payload = { ref: 'refs/heads/main', after: '3f2a9c1e4b5d6f708192a3b4c5d6e7f809102132', pusher: { name: 'alice' } };

  it('polls on a push to the branch, naming the host, the new head and the pusher', () => {
    const github = readPushEvent(headers({ 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'd-1' }), payload);
    expect(github).toMatchObject({ host: 'github', event: 'push', delivery: 'd-1', ref: 'refs/heads/main', pusher: 'alice' });
    expect(decidePush(github, 'main')).toEqual({ poll: true, reason: 'github push to main (3f2a9c1e) by alice' });
    const gitlab = readPushEvent(headers({ 'X-Gitlab-Event': 'Push Hook' }), { ref: 'refs/heads/main', after: payload.after, user_username: 'bob' });
    expect(decidePush(gitlab, 'main')).toEqual({ poll: true, reason: 'gitlab push to main (3f2a9c1e) by bob' });
    const gitea = readPushEvent(headers({ 'X-Gitea-Event': 'push', 'X-GitHub-Event': 'push' }), { ref: 'refs/heads/main', pusher: { login: 'carol' } });
    expect(decidePush(gitea, 'main')).toEqual({ poll: true, reason: 'gitea push to main by carol' });
  });

  it('ignores pings, tags, other branches and payloads without a ref', () => {
    expect(decidePush(readPushEvent(headers({ 'X-GitHub-Event': 'ping' }), { zen: 'hi' }), 'main')).toEqual({ poll: false, ignored: 'not a push event (ping)' });
    expect(decidePush(readPushEvent(headers({ 'X-Gitlab-Event': 'Tag Push Hook' }), { ref: 'refs/tags/v1' }), 'main').poll).toBe(false);
    expect(decidePush(readPushEvent(headers({ 'X-GitHub-Event': 'push' }), { ref: 'refs/heads/feature' }), 'main')).toEqual({
      poll: false,
      ignored: "push to refs/heads/feature, not to the ops repo's branch main",
    });
    expect(decidePush(readPushEvent(headers({ 'X-GitHub-Event': 'push' }), { ref: 'refs/heads/main-2' }), 'main').poll).toBe(false);
    expect(decidePush(readPushEvent(headers({}), [1, 2]), 'main')).toEqual({ poll: false, ignored: 'the payload names no ref' });
  });

  it('keeps what the payload says short, whatever it holds', () => {
    const event = readPushEvent(headers({ 'X-GitHub-Event': 'push' }), { ref: 'refs/heads/main', pusher: { name: 'x'.repeat(5_000) }, after: 42 });
    expect(event.pusher).toHaveLength(100);
    expect(event.after).toBeUndefined();
  });
});
