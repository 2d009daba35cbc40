// The ApplicationFailure an activity or validator throws (or the one its DeployerError becomes); a test fails when it throws anything
// else, or nothing.
import { ApplicationFailure } from '@temporalio/common';
import { toTemporalFailure } from '../../src/observability/domain-failures-interceptor.js';

// A DeployerError counts as the failure the worker's interceptor would make of it.
function asFailure(error: unknown): ApplicationFailure {
  const failure = toTemporalFailure(error);
  if (failure instanceof ApplicationFailure) return failure;
  throw error;
}

const nothingThrown = () => new Error('expected an ApplicationFailure, but nothing was thrown');

export function failureOfSync(run: () => unknown): ApplicationFailure {
  try {
    run();
  } catch (error) {
    return asFailure(error);
  }
  throw nothingThrown();
}

export async function failureOf(run: () => unknown): Promise<ApplicationFailure> {
  try {
    await run();
  } catch (error) {
    return asFailure(error);
  }
  throw nothingThrown();
}
