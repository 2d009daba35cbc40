import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { updateWithStartUnavailable, workerLacksUpdate } from '../../src/client/request-with-start.js';

/** An error as @grpc/grpc-js raises it. */
const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });

describe('a request sent as update-with-start', () => {
  it('goes as a signal instead where the server does not offer update-with-start', () => {
    expect(updateWithStartUnavailable(grpc(7, 'ExecuteMultiOperation API is disabled on this namespace.'))).toBe(true);
    expect(updateWithStartUnavailable(new ServiceError('update-with-start failed', { cause: grpc(12, 'unknown method ExecuteMultiOperation') }))).toBe(true);
  });

  it('goes as a signal instead where the worker runs workflow code from before the update', () => {
    expect(workerLacksUpdate(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('No registered handler for update: deploy')))).toBe(true);
    expect(workerLacksUpdate(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'InvalidRequestError', message: 'imageRef: …' })))).toBe(false);
  });

  it('does not take other refusals or an outage for that', () => {
    expect(updateWithStartUnavailable(grpc(7, 'Request unauthorized.'))).toBe(false);
    expect(updateWithStartUnavailable(grpc(14, 'No connection established'))).toBe(false);
    expect(updateWithStartUnavailable(new Error('ExecuteMultiOperation'))).toBe(false);
  });
});
