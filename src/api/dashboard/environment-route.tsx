// GET /projects/{project}/environments/{env} for a signed-in user: the registration, the recorded
// state, the workflow's live answer (bounded by the query timeout, as the API's detail route) and
// the recent history and when drift was last corrected, read side by side.
import type { Handler } from 'hono';
import { findDeploymentState, listHistory } from '../../db/deployment-reads.js';
import { findLastDriftCorrection } from '../../db/last-drift-correction.js';
import { environmentWorkflowId } from '../../../workflows/messages.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { readLiveWorkflow } from '../live-workflow.js';
import { requireEnvironment } from '../require-environment.js';
import { findAwaitingApproval } from './awaiting-approval.js';
import { EnvironmentView } from './environment-view.js';
import { page } from './respond.js';
import { temporalRunUrl } from './temporal-ui-link.js';

const HISTORY_ROWS = 20;

export function environmentRoute(deps: Pick<ResolvedApiDeps, 'pool' | 'temporalClient' | 'workflowQueryTimeoutMs' | 'temporalUiUrl'>): Handler<AppEnv> {
  return async (c) => {
    const principal = c.get('principal');
    const project = c.req.param('project') ?? '';
    const env = c.req.param('env') ?? '';
    if (principal.project !== null && project !== principal.project) {
      throw new ApiError(403, 'forbidden', `token "${principal.name}" is bound to project ${principal.project}, not ${project}`);
    }
    const registration = await requireEnvironment(deps.pool, project, env);
    const workflowId = environmentWorkflowId(project, env);
    const [recorded, workflow, history, lastDriftCorrection] = await Promise.all([
      findDeploymentState(deps.pool, project, env),
      readLiveWorkflow(deps.temporalClient, workflowId, deps.workflowQueryTimeoutMs, deps.pool),
      listHistory(deps.pool, project, env, { limit: HISTORY_ROWS }),
      findLastDriftCorrection(deps.pool, project, env),
    ]);
    const awaitingApproval = await findAwaitingApproval(deps.pool, { project, environment: env }, workflow);
    const { temporalUiUrl } = deps;
    const runUrl = temporalUiUrl ? (runId: string) => temporalRunUrl(temporalUiUrl, deps.temporalClient.options.namespace, workflowId, runId) : null;
    return page(c, <EnvironmentView principal={principal} registration={registration} recorded={recorded} workflow={workflow} history={history} awaitingApproval={awaitingApproval} lastDriftCorrection={lastDriftCorrection} temporalRunUrl={runUrl && workflow?.run_id ? runUrl(workflow.run_id) : null} runUrl={runUrl} />);
  };
}
