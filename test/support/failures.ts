// The ApplicationFailure an activity or validator throws; a test fails when it throws anything
// else, or nothing.
import { ApplicationFailure } from '@temporalio/common';

function asFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
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
