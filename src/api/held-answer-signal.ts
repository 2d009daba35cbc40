// When an answer held open for a final outcome (wait_s) is to be given as it stands: the caller
// went away, or the server is closing. Past that, no handler may still be talking to Temporal: the
// process closes its connection next, and a call cut off by that close is retried on a shut
// channel, which throws outside any handler.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.js';

export function heldAnswerSignal(c: Context<AppEnv>): AbortSignal {
  const closing = c.env?.closing;
  return closing ? AbortSignal.any([c.req.raw.signal, closing]) : c.req.raw.signal;
}
