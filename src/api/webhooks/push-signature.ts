// Whether a push webhook comes from the git host: GitHub and Gitea sign the raw body with HMAC-SHA256
// under the repo's webhook secret (X-Hub-Signature-256: sha256=<hex>, X-Gitea-Signature: <hex>);
// GitLab sends the secret itself (X-Gitlab-Token). Comparisons take the same time whatever the
// input, so a caller cannot find a valid signature byte by byte.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureHeader = 'X-Hub-Signature-256' | 'X-Gitea-Signature' | 'X-Gitlab-Token';

export type SignatureCheck = { ok: true; header: SignatureHeader } | { ok: false; problem: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function hmacMatches(body: Uint8Array, secret: string, hex: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

/** Equal-length digests, so neither the length nor the first differing byte of the token shows. */
function tokenMatches(provided: string, secret: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(provided), digest(secret));
}

/**
 * Checks the first signature header present, in the order GitHub, Gitea, GitLab (Gitea sends
 * X-Hub-Signature-256 too, signed the same way). `header` reads a request header by name.
 */
export function verifyPushSignature(header: (name: string) => string | undefined, body: Uint8Array, secret: string): SignatureCheck {
  const hub = header('X-Hub-Signature-256');
  if (hub !== undefined) {
    const hex = /^sha256=(.*)$/.exec(hub.trim())?.[1];
    if (hex === undefined || !HEX_SHA256.test(hex)) return { ok: false, problem: 'X-Hub-Signature-256 must be "sha256=" followed by 64 hexadecimal digits' };
    return hmacMatches(body, secret, hex)
      ? { ok: true, header: 'X-Hub-Signature-256' }
      : { ok: false, problem: "X-Hub-Signature-256 does not match the body signed with this ops repo's webhook secret" };
  }
  const gitea = header('X-Gitea-Signature');
  if (gitea !== undefined) {
    const hex = gitea.trim();
    if (!HEX_SHA256.test(hex)) return { ok: false, problem: 'X-Gitea-Signature must be 64 hexadecimal digits' };
    return hmacMatches(body, secret, hex)
      ? { ok: true, header: 'X-Gitea-Signature' }
      : { ok: false, problem: "X-Gitea-Signature does not match the body signed with this ops repo's webhook secret" };
  }
  const token = header('X-Gitlab-Token');
  if (token !== undefined) {
    return tokenMatches(token, secret)
      ? { ok: true, header: 'X-Gitlab-Token' }
      : { ok: false, problem: "X-Gitlab-Token is not this ops repo's webhook secret" };
  }
  return {
    ok: false,
    problem: 'the push is not signed: expected X-Hub-Signature-256 (GitHub), X-Gitea-Signature (Gitea) or X-Gitlab-Token (GitLab)',
  };
}
