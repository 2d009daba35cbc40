// Which failures of a call to Temporal are worth trying again: the server is unreachable,
// restarting or overloaded, or the call ran out of time (a query with no worker to answer it yet).
// A pipeline's `deploy --wait` must not fail a healthy deploy over a 20-second Temporal restart.
import { isGrpcServiceError } from '@temporalio/client';

// gRPC status codes: DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, ABORTED 10, INTERNAL 13, UNAVAILABLE 14.
const TRANSIENT_CODES = new Set([4, 8, 10, 13, 14]);

export function isTransientTemporalError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (isGrpcServiceError(current) && TRANSIENT_CODES.has(current.code)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && TRANSIENT_CODES.has(code) && /grpc|UNAVAILABLE|DEADLINE|connect/i.test(String((current as Error).message))) return true;
    if (current instanceof Error && /\b(UNAVAILABLE|DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED)\b|Failed to connect|ECONNREFUSED|ECONNRESET/.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface RetryOptions {
  /** give up (rethrowing the last error) after this long */
  timeoutMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** told about each transient failure before the next try */
  onRetry?: (error: unknown, attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `call`, trying again with backoff on transient Temporal errors until `timeoutMs` has passed. */
export async function retryTransient<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { timeoutMs, initialDelayMs = 200, maxDelayMs = 5_000, onRetry } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + timeoutMs;
  let delay = initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransientTemporalError(error) || Date.now() + delay > deadline) throw error;
      onRetry?.(error, attempt);
      await sleep(delay);
      delay = Math.min(maxDelayMs, delay * 2);
    }
  }
}
