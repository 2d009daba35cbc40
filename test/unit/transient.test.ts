import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { isTransientTemporalError, retryTransient } from '../../src/client/transient.js';

const grpc = (code: number, message: string) => Object.assign(new Error(`${code} ${message}`), { code, details: message, metadata: {} });

describe('isTransientTemporalError', () => {
  it.each([
    ['UNAVAILABLE from gRPC', grpc(14, 'UNAVAILABLE: No connection established')],
    ['DEADLINE_EXCEEDED from gRPC', grpc(4, 'DEADLINE_EXCEEDED: Deadline exceeded')],
    ['a ServiceError wrapping UNAVAILABLE (a failed query)', new ServiceError('Failed to query Workflow', { cause: grpc(14, 'UNAVAILABLE: connection refused') })],
    ['a refused connection', new Error('Failed to connect before the deadline')],
  ])('%s is transient', (_name, error) => {
    expect(isTransientTemporalError(error)).toBe(true);
  });

  it.each([
    ['NOT_FOUND', grpc(5, 'NOT_FOUND: workflow not found')],
    ['INVALID_ARGUMENT', grpc(3, 'INVALID_ARGUMENT: bad request')],
    ['a plain error', new TypeError('projectt is not a slug')],
    ['nothing', undefined],
  ])('%s is not', (_name, error) => {
    expect(isTransientTemporalError(error)).toBe(false);
  });
});

describe('retryTransient', () => {
  const noSleep = async () => undefined;

  it('tries again after transient errors and returns the first success', async () => {
    let calls = 0;
    const retried: number[] = [];
    const result = await retryTransient(
      async () => {
        calls++;
        if (calls < 3) throw grpc(14, 'UNAVAILABLE');
        return 'sent';
      },
      { timeoutMs: 10_000, sleep: noSleep, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    expect(result).toBe('sent');
    expect(retried).toEqual([1, 2]);
  });

  it('rethrows a permanent error at once', async () => {
    let calls = 0;
    const error = grpc(3, 'INVALID_ARGUMENT');
    await expect(retryTransient(async () => { calls++; throw error; }, { timeoutMs: 10_000, sleep: noSleep })).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('gives up with the last transient error once its time is up', async () => {
    let calls = 0;
    await expect(
      retryTransient(async () => { calls++; throw grpc(14, `UNAVAILABLE ${calls}`); }, { timeoutMs: 300, initialDelayMs: 100, maxDelayMs: 100 }),
    ).rejects.toThrow(/UNAVAILABLE \d/);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(4);
  });
});
