// Adapts the git validators (which guard the worker's git calls) to zod refinements, so the API
// refuses exactly what a worker would, at request time, with the API's field name.
import type { z } from '@hono/zod-openapi';
import { DeployerError } from '../../domain/errors.js';

/** The validators name their own field first ("opsRepo.url \"x\" is …"); the API names it itself. */
function withoutLeadingField(message: string): string {
  return message.replace(/^\S+ /, '');
}

export function gitRule(check: (value: string) => unknown) {
  return (value: string, ctx: z.RefinementCtx): void => {
    try {
      check(value);
    } catch (error) {
      if (!(error instanceof DeployerError)) throw error;
      ctx.addIssue({ code: 'custom', message: withoutLeadingField(error.message) });
    }
  };
}
