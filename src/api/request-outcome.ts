// What became of one request, as the API's request route and the dashboard's follow-up fragment
// both tell it: the workflow's word while it remembers the request, the history's once it does
// not, waiting up to `waitS` seconds for a final outcome, or until `stop` aborts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from '@hono/zod-openapi';
import { DeployerClient } from '../client/deployer-client.js';
import { isFinal, requestIn } from '../client/request-standing.js';
import type { RequestReceipt } from '../../workflows/state.js';
import type { ResolvedApiDeps } from './deps.js';
import type { EnvironmentKey } from './deployment-requests.js';
import { recordedAnswer, recordedReceipt } from './recorded-request.js';
import type { requestOutcome } from './schemas/deployments.js';

export type RequestOutcome = z.infer<typeof requestOutcome>;

/** How often a waiting request is looked at again (a describe and a state query), as the SDK does: a minute of waiting costs 120 of each. */
const REQUEST_POLL_MS = 500;

export async function followRequest(
  deps: Pick<ResolvedApiDeps, 'pool' | 'temporalClient' | 'taskQueue' | 'workflowQueryTimeoutMs'>,
  key: EnvironmentKey,
  requestId: string,
  waitS: number,
  stop?: AbortSignal,
): Promise<RequestOutcome> {
  const { project, environment: env } = key;
  const client = new DeployerClient({ client: deps.temporalClient, taskQueue: deps.taskQueue });
  const deadline = Date.now() + waitS * 1000;
  /** the receipt the request's audit row keeps, read once the workflow's log does not list the request */
  let receipt: RequestReceipt | null | undefined;
  for (;;) {
    const live = await client.workflowStatus(key);
    // Bounded as the detail route's query (live-workflow.ts): a workflow whose worker is down cannot
    // answer, and the history can still tell a final outcome meanwhile.
    const state = live
      ? await deps.temporalClient.withDeadline(Date.now() + deps.workflowQueryTimeoutMs, () => client.state(key)).catch(() => undefined)
      : undefined;
    let standing = requestIn(state, requestId);
    if (!standing.request && state) {
      receipt ??= (await recordedReceipt(deps.pool, project, env, requestId)) ?? null;
      if (receipt) standing = requestIn(state, requestId, receipt);
    }
    // What the workflow cannot tell (a request it forgot, a run that ended or started afresh), the history can.
    const recorded = !standing.request || standing.request.outcome === 'forgotten' ? await recordedAnswer(deps.pool, project, env, requestId) : undefined;
    const { request: entry, release } = recorded ?? standing;
    // A workflow that is not running will not move the request any further: its word is final.
    const final = (entry !== undefined && isFinal(entry.outcome)) || (live !== undefined && !live.running);
    const answer: RequestOutcome = {
      request_id: requestId,
      outcome: entry?.outcome ?? 'unknown',
      final,
      detail: entry?.detail ?? null,
      release: release
        ? { seq: release.seq ?? null, image_ref: release.imageRef, ops_sha: release.opsSha ?? null, status: release.status, error: release.error ?? null }
        : null,
      waiting_for: state?.waitingFor ?? null,
      step: state?.inFlight?.requestId === requestId ? state.inFlight.step : null,
      workflow_status: live?.status ?? 'NONE',
    };
    if (final || Date.now() >= deadline || stop?.aborted) return answer;
    // An abort ends the pause early (rejecting, which only means: look no more).
    await sleep(Math.min(REQUEST_POLL_MS, Math.max(0, deadline - Date.now())), undefined, { signal: stop }).catch(() => undefined);
    // Stopped while pausing: answer with the last look rather than start another call.
    if (stop?.aborted) return answer;
  }
}
