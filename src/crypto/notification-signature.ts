// How a notification proves where it came from: an HMAC-SHA256, keyed with the subscription's
// secret, over the delivery's timestamp, a dot and the exact body bytes (as Stripe and Slack sign
// theirs). The timestamp is in the signed content so that a receiver can refuse a replay of an old
// delivery; the body's idempotency id lets it recognise a retried one.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Deployer-Signature';
export const TIMESTAMP_HEADER = 'X-Deployer-Timestamp';
/** How far a receiver should let a timestamp be from its own clock (the README's example uses it). */
export const SIGNATURE_TOLERANCE_S = 5 * 60;

/** `sha256=<hex>` of `${timestamp}.${body}`, keyed with `secret`. */
export function notificationSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body, 'utf8').digest('hex')}`;
}

/**
 * A receiver's check: the signature matches the body and timestamp, and the timestamp is within
 * `toleranceS` of `nowS`. Compared in constant time.
 */
export function verifyNotificationSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = SIGNATURE_TOLERANCE_S,
): boolean {
  if (headers.signature === undefined || headers.timestamp === undefined || !/^\d{1,12}$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowS - timestamp) > toleranceS) return false;
  const expected = Buffer.from(notificationSignature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
