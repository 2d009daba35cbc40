// Sends a deploy, rollback or stop to an environment's workflow as an update-with-start (falling
// back to a signal, client/request-with-start.ts), so the API learns the request's receipt and can
// answer the long poll of a request the workflow's log no longer lists. An unreachable Temporal is
// a 503 the caller can retry with the same request id; a refusal by the workflow, a 400 naming the
// field.
import { requestWithStart, type RequestMessages, type RequestSent } from '../client/request-with-start.js';
import type { EnvironmentTarget } from '../client/signal-environment.js';
import { InvalidRequestError } from '../domain/request-rules.js';
import type { RequestMeta } from '../../workflows/messages.js';
import type { ResolvedApiDeps } from './deps.js';
import { ApiError, invalidRequest } from './errors.js';

/** The API's names of the request's fields, where they differ from the SDK's. */
const API_FIELDS: Record<string, string> = { imageRef: 'image_ref', valuesOverride: 'values_override', requestId: 'request_id', requestedBy: 'requested_by' };

function apiField(field: string): string {
  const [head, ...rest] = field.split('.');
  return [API_FIELDS[head!] ?? head, ...rest].join('.');
}

export async function requestWorkflow<Request extends RequestMeta>(
  deps: Pick<ResolvedApiDeps, 'temporalClient' | 'taskQueue' | 'logger' | 'requestAcceptTimeoutMs'>,
  target: Omit<EnvironmentTarget, 'taskQueue'>,
  messages: RequestMessages<Request>,
  request: Request,
): Promise<RequestSent> {
  try {
    return await requestWithStart(deps.temporalClient, { ...target, taskQueue: deps.taskQueue }, messages, request, { acceptTimeoutMs: deps.requestAcceptTimeoutMs });
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      throw invalidRequest(error.problems.map((p) => ({ field: apiField(p.field), message: `${apiField(p.field)}: ${p.message}` })));
    }
    deps.logger.error({ err: error, request: messages.update.name, project: target.project, environment: target.environment }, 'sending the request to the environment workflow failed');
    throw new ApiError(503, 'workflow_unavailable', `could not send the ${messages.update.name} to the workflow of ${target.project}/${target.environment}; retry with the same request id`);
  }
}
