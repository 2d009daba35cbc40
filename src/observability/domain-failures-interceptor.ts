// The one place where domain errors become Temporal failures. Code below the activities throws
// DeployerError (no Temporal there); this activity interceptor turns its type into the failure
// type, non-retryable unless the error says trying again may help.
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { DeployerError } from '../domain/errors.js';

export function toTemporalFailure(error: unknown): unknown {
  if (!(error instanceof DeployerError)) return error;
  return ApplicationFailure.create({ message: error.message, type: error.type, nonRetryable: !error.retryable, details: error.details, cause: error });
}

export class DomainFailureInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (error) {
      throw toTemporalFailure(error);
    }
  }
}
