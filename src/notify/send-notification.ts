// One POST of a notification to its receiver, with a deadline, and what came of it: the receiver's
// status (and the start of its answer, which often says what it disliked), or why it gave none.
// Judging the answer is the domain's (deliveryVerdict); retrying is the activity's.

export interface NotificationPost {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export type PostOutcome =
  | {
      answered: true;
      status: number;
      statusText: string;
      /** the start of the receiver's answer, printable, for the delivery log */
      excerpt: string;
      /** how long the receiver asked us to wait (Retry-After on a 429 or 503), when it said */
      retryAfterMs?: number;
    }
  | { answered: false; reason: string };

const EXCERPT_CHARS = 200;
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export async function postNotification(post: NotificationPost, fetchImpl: typeof fetch = fetch): Promise<PostOutcome> {
  let response: Response;
  try {
    response = await fetchImpl(post.url, {
      method: 'POST',
      headers: post.headers,
      body: post.body,
      // A webhook that redirects is misconfigured, and a POST re-sent elsewhere is a surprise:
      // the 3xx is reported instead of followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(post.timeoutMs),
    });
  } catch (error) {
    return { answered: false, reason: unansweredReason(error, post.timeoutMs) };
  }
  return {
    answered: true,
    status: response.status,
    statusText: response.statusText,
    excerpt: await excerptOf(response),
    ...retryAfter(response.headers.get('retry-after')),
  };
}

/** Why no answer came, without the URL (whose path may be a credential). */
function unansweredReason(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  // fetch says "fetch failed" and keeps the reason in its cause: ECONNREFUSED, ENOTFOUND, a TLS error…
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return `could not reach the receiver: ${detail}`;
}

/** Reads no more of the answer than the log keeps, then lets the rest go. */
async function excerptOf(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // an answer cut short still has a status, which is what counts
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
}

function retryAfter(header: string | null): { retryAfterMs?: number } {
  if (header === null) return {};
  const ms = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms) || ms < 0) return {};
  return { retryAfterMs: Math.min(ms, MAX_RETRY_AFTER_MS) };
}
