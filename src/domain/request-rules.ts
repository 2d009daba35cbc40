// What every door (the HTTP API, the SDK, the CLI) accepts in a request to an environment: one set
// of rules, so a request refused by one is refused by all, naming the same field. The API's
// schemas, the SDK's methods and the CLI's options all check with these.
import { imageRefProblem } from './image-ref.js';
import { jsonBoundsProblem, valuesBounds } from './json-bounds.js';
import { secretNameProblem, secretValueProblem, type SecretChanges } from './secrets.js';

const SLUG = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const SLUG_RULE = 'must be a slug: 1-63 lower-case letters, digits and "-", starting and ending with a letter or digit';
/** reasons and requesters are recorded in history and audit, and shown: bounded and printable */
export const MAX_REASON_LENGTH = 500;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** a request id is a signal's de-duplication key and an Idempotency-Key header value */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,127}$/;
export const REQUEST_ID_RULE = 'must be 1-128 characters of letters, digits and . _ : / -, starting with a letter or digit';
export const TEXT_RULE = `must be 1-${MAX_REASON_LENGTH} characters without control characters (line breaks included)`;

/** Why a reason or requester name cannot be recorded as it is, or undefined. */
export function textProblem(value: unknown): string | undefined {
  return typeof value !== 'string' || value.length === 0 || value.length > MAX_REASON_LENGTH || CONTROL.test(value) ? TEXT_RULE : undefined;
}

/** Project, environment and namespace names: DNS labels. */
export function isSlug(value: string): boolean {
  return SLUG.test(value);
}

/** One thing wrong with a request: the field as the caller named it, and why. */
export interface RequestProblem {
  field: string;
  message: string;
}

/** What a request to an environment carries, by the SDK's field names. */
export interface EnvironmentRequest {
  project: string;
  environment: string;
  imageRef?: string;
  valuesOverride?: Record<string, unknown>;
  /** write-only secrets to set (a value) or delete (null) with the request */
  secrets?: SecretChanges;
  reason?: string;
  requestedBy?: string;
  requestId?: string;
  /** who approves or rejects a request waiting at the approval gate */
  decidedBy?: string;
  /** let a deploy or rollback through a freeze window: only with a reason, which the audit keeps */
  overrideFreeze?: boolean;
}

/** Every problem of `request`, in field order; empty when it may be sent. */
export function requestProblems(request: EnvironmentRequest): RequestProblem[] {
  const problems: RequestProblem[] = [];
  for (const field of ['project', 'environment'] as const) {
    if (typeof request[field] !== 'string' || !isSlug(request[field])) problems.push({ field, message: `${JSON.stringify(request[field])} ${SLUG_RULE}` });
  }
  if (request.imageRef !== undefined) {
    const problem = typeof request.imageRef === 'string' ? imageRefProblem(request.imageRef) : 'must be a string';
    if (problem) problems.push({ field: 'imageRef', message: `${JSON.stringify(request.imageRef)} ${problem}` });
  }
  if (request.valuesOverride !== undefined) {
    // "valuesOverride.a.b: nested deeper than 32 levels": the path inside the values is the field.
    const problem = jsonBoundsProblem(request.valuesOverride, 'valuesOverride', valuesBounds);
    if (problem) {
      const at = problem.indexOf(': ');
      problems.push(at === -1 ? { field: 'valuesOverride', message: problem } : { field: problem.slice(0, at), message: problem.slice(at + 2) });
    }
  }
  if (request.secrets !== undefined) {
    for (const [name, value] of Object.entries(request.secrets)) {
      // Never quoting the value: a refusal is shown and may be logged.
      const problem = secretNameProblem(name) ?? (value === null ? undefined : typeof value === 'string' ? secretValueProblem(value) : 'must be a string, or null to delete the secret');
      if (problem) problems.push({ field: `secrets.${name}`, message: problem });
    }
  }
  for (const field of ['reason', 'requestedBy', 'decidedBy'] as const) {
    const problem = request[field] === undefined ? undefined : textProblem(request[field]);
    if (problem) problems.push({ field, message: problem });
  }
  if (request.overrideFreeze !== undefined && typeof request.overrideFreeze !== 'boolean') {
    problems.push({ field: 'overrideFreeze', message: 'must be true or false' });
  } else if (request.overrideFreeze === true && request.reason === undefined) {
    problems.push({ field: 'reason', message: 'is required with overrideFreeze: say why the freeze is overridden (the history and the audit keep it)' });
  }
  if (request.requestId !== undefined && (typeof request.requestId !== 'string' || !REQUEST_ID_PATTERN.test(request.requestId))) {
    problems.push({ field: 'requestId', message: `${JSON.stringify(request.requestId)} ${REQUEST_ID_RULE}` });
  }
  return problems;
}

/** A request refused before anything was sent: the workflow never heard of it. */
export class InvalidRequestError extends Error {
  constructor(readonly problems: RequestProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'InvalidRequestError';
  }
}

/** Throws InvalidRequestError listing every problem of `request`, if it has any. */
export function checkRequest(request: EnvironmentRequest): void {
  const problems = requestProblems(request);
  if (problems.length > 0) throw new InvalidRequestError(problems);
}
