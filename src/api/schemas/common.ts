// Schemas shared by the routes: path parameters, the error body, the accepted-request reply, and
// the error responses each kind of route documents.
import { z } from '@hono/zod-openapi';
import { isSlug, MAX_REASON_LENGTH, SLUG_RULE, textProblem } from '../../domain/request-rules.js';
import { REQUEST_ID_PATTERN } from '../request-id.js';
import { imageRefProblem } from '../../domain/image-ref.js';
import { jsonBoundsProblem, valuesBounds } from '../../domain/json-bounds.js';
import { MAX_SECRETS_PER_ENVIRONMENT, secretNameProblem, secretValueProblem } from '../../domain/secrets.js';


export const slug = (example: string) =>
  z.string().refine(isSlug, { message: SLUG_RULE }).openapi({ example, pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' });

export const imageRef = z
  .string()
  .superRefine((value, ctx) => {
    const problem = imageRefProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ example: 'registry.example.com:5000/team/web:1.4.2', maxLength: 255 });

export const valuesOverride = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const problem = jsonBoundsProblem(value, 'values_override', valuesBounds);
    if (problem === undefined) return;
    // "values_override.a.b: nested deeper…" → "nested deeper… (at values_override.a.b)"; the field is prefixed anyway.
    const at = problem.indexOf(': ');
    const where = problem.slice(0, at);
    ctx.addIssue({ code: 'custom', message: where === 'values_override' ? problem.slice(at + 2) : `${problem.slice(at + 2)} (at ${where})` });
  })
  .openapi({ description: 'values deep-merged over the ops repo values.yaml', example: { replicas: 3 } });

/**
 * Write-only secrets by name: a value sets one, null deletes it. Problems name `secrets.NAME` and
 * never quote a value.
 */
export const secrets = z
  .record(z.string(), z.string().nullable())
  .superRefine((value, ctx) => {
    const names = Object.keys(value);
    if (names.length > MAX_SECRETS_PER_ENVIRONMENT) ctx.addIssue({ code: 'custom', message: `at most ${MAX_SECRETS_PER_ENVIRONMENT} secrets` });
    for (const name of names) {
      const problem = secretNameProblem(name) ?? (value[name] === null ? undefined : secretValueProblem(value[name]!));
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  })
  .openapi({
    description: 'write-only secrets by name, rendered into templates as secrets.NAME; null deletes one; reads show only a fingerprint',
    example: { DB_PASSWORD: 's3cr3t' },
  });

export const reason = z
  .string()
  .superRefine((value, ctx) => {
    const problem = textProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ description: 'why, recorded in history and audit', minLength: 1, maxLength: MAX_REASON_LENGTH });

export const projectParams = z.object({
  project: slug('shop').openapi({ param: { name: 'project', in: 'path' } }),
});

export const environmentParams = z.object({
  project: slug('shop').openapi({ param: { name: 'project', in: 'path' } }),
  env: slug('prod').openapi({ param: { name: 'env', in: 'path' } }),
});

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string().openapi({ example: 'invalid request: image_ref: must not contain whitespace' }),
      details: z.unknown().optional().openapi({ description: 'for invalid requests: [{ field, message }]' }),
    }),
  })
  .openapi('Error');

export const acceptedBody = z
  .object({
    request_id: z.string().openapi({ description: 'the Idempotency-Key or X-Request-Id sent, or a generated UUID' }),
    workflow_id: z.string().openapi({ example: 'deploy/shop/prod' }),
    signal: z.enum(['deploy', 'rollback', 'stop', 'cancel']).nullable().openapi({ description: 'null when only stored settings changed' }),
    outcome: z.string().nullable().openapi({
      description:
        "a deploy, rollback or stop: the workflow's answer once it took the request (`pending`; for a repeated request id, what the first answer was); null for a cancel, or when no worker took the request within 5 s and it went as a signal",
    }),
    accepted_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Accepted');

export const requestIdHeaders = z.object({
  'idempotency-key': z.string().optional().openapi({
    param: { name: 'idempotency-key', in: 'header' },
    pattern: REQUEST_ID_PATTERN.source,
    description: 'identifies the request; a repeated key is ignored by the workflow, so retries are harmless',
  }),
  'x-request-id': z.string().optional().openapi({ param: { name: 'x-request-id', in: 'header' }, pattern: REQUEST_ID_PATTERN.source, description: 'used when Idempotency-Key is absent' }),
});

export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorBody } } };
}

export const readErrors = {
  400: errorResponse('invalid path or query parameter'),
  401: errorResponse('missing, malformed, unknown or revoked token'),
  403: errorResponse('the token lacks the scope or is bound to another project'),
  404: errorResponse('no such resource'),
  500: errorResponse('unexpected error (logged)'),
} as const;

export const mutationErrors = {
  ...readErrors,
  400: errorResponse('invalid request: the details name each failing field'),
  409: errorResponse('conflicts with the current state'),
  413: errorResponse('body larger than 64 KiB'),
  415: errorResponse('body is not JSON'),
  503: errorResponse('Temporal could not be reached'),
} as const;

export const bearerSecurity = [{ bearerAuth: [] }];
