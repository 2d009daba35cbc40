// Counts failed activity attempts by activity and error type, for deployer_activity_failures_total.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { DeployerError } from '../domain/errors.js';
import { activityFailuresTotal } from './metrics.js';

export function errorTypeOf(error: unknown): string {
  if (error instanceof ApplicationFailure && error.type) return error.type;
  if (error instanceof DeployerError) return error.type;
  if (error instanceof Error) return error.name;
  return 'unknown';
}

export class ActivityFailureCounter implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (error) {
      activityFailuresTotal.inc({ activity: Context.current().info.activityType, error_type: errorTypeOf(error) });
      throw error;
    }
  }
}
