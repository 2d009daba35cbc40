// Errors the API answers with. Every error response has the body
// `{ "error": { "code", "message", "details"? } }`; handlers and middleware throw ApiError and the
// app's error handler renders it.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface FieldIssue {
  field: string;
  message: string;
}

export interface ErrorPayload {
  code: string;
  message: string;
  details?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get payload(): ErrorPayload {
    return this.extra.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.extra.details };
  }
}

/** A 400 naming every failing field; each issue's message starts with its field. */
export function invalidRequest(issues: FieldIssue[]): ApiError {
  return new ApiError(400, 'invalid_request', `invalid request: ${issues.map((issue) => issue.message).join('; ')}`, {
    details: issues,
  });
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'not_found', message);
}

export function conflict(code: string, message: string, details?: unknown): ApiError {
  return new ApiError(409, code, message, { details });
}
