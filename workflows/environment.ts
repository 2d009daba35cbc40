// The long-lived workflow of one (project, environment). Handlers only record what was asked;
// the loop takes the newest pending request, waits out the minimum interval, and handles it
// (requests.ts: a release through the pipeline, or a stop). Idle, it waits for a reconcile
// request or the safety-net timer and runs a drift pass (drift-pass.ts). Decisions live in
// decide.ts, text in display.ts, activity options in steps.ts.
import { allHandlersFinished, condition, continueAsNew, log, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { defaultPolicy, type EnvironmentPolicy } from '../activities/types.js';
import {
  MAX_RECENT_RELEASES,
  acceptRequest,
  acceptance,
  endsUnregistered,
  historyIsFull,
  nextDriftAt,
  planCancel,
  seenRequest,
  shouldContinueAsNew,
  startDelay,
  stateFromRecords,
  wantReconcile,
  withRequestPositions,
  type HandedOverState,
} from './decide.js';
import { driftPass } from './drift-pass.js';
import { EnvironmentRun } from './environment-run.js';
import { passGates } from './gate-pass.js';
import { gatesApply } from './gates.js';
import {
  approveUpdate,
  cancelSignal,
  deploySignal,
  deployUpdate,
  policySignal,
  reconcileSignal,
  rejectUpdate,
  rollbackSignal,
  rollbackUpdate,
  stateQuery,
  stopSignal,
  stopUpdate,
  type ApprovalDecision,
} from './messages.js';
import { refuseApprovalDecision, refuseInvalidDeploy, refuseInvalidRequest } from './request-validator.js';
import { handleRequest } from './requests.js';
import type { ApprovalVerdict, CarriedState, PendingRequest } from './state.js';
import { loadRecordedState } from './steps.js';

export interface EnvironmentWorkflowInput {
  project: string;
  environment: string;
  /** policy until the environment's own is loaded (tests and first start) */
  policy?: Partial<EnvironmentPolicy>;
  /** what the previous run handed over at continue-as-new (by older code: without request positions) */
  carried?: HandedOverState;
  /**
   * false: the DeployImage search attribute stays empty. Set by clients that encrypt payloads:
   * search attributes are not payloads, so the image ref would sit in the history in plaintext.
   */
  indexImage?: boolean;
}

function initialState(input: EnvironmentWorkflowInput): CarriedState {
  return {
    policy: { ...defaultPolicy, ...input.policy },
    status: 'new',
    stopped: false,
    releases: [],
    nextSeq: 1,
    requests: [],
    nextRequestPosition: 1,
    forgottenThrough: 0,
    run: 1,
  };
}

export async function environmentWorkflow(input: EnvironmentWorkflowInput): Promise<void> {
  const { project, environment } = input;
  const run = new EnvironmentRun(
    { project, environment },
    withRequestPositions(input.carried ? { ...input.carried, run: input.carried.run + 1 } : initialState(input)),
    input.indexImage ?? true,
  );

  // Handlers first, so signals buffered before the first await are applied in order.
  const accept = (request: PendingRequest) => {
    const repeated = seenRequest(run.state, request.requestId);
    run.update(acceptRequest(run.state, request));
    if (!repeated) {
      run.notify('dev.deployer.request.accepted', request.requestId, {
        requestId: request.requestId,
        actor: request.requestedBy,
        reason: request.reason,
        detail: request.kind,
        ...(request.kind === 'deploy' ? { imageRef: request.imageRef } : {}),
      });
    }
    run.publish();
  };
  setHandler(deploySignal, (request) => accept({ kind: 'deploy', receivedAt: Date.now(), ...request }));
  setHandler(rollbackSignal, (request) => accept({ kind: 'rollback', receivedAt: Date.now(), ...request }));
  setHandler(stopSignal, (request) => {
    accept({ kind: 'stop', receivedAt: Date.now(), ...request });
    run.interrupt(request, 'stop');
  });
  // The same requests as updates (with start): the caller learns at once that one was taken, or
  // why not, and gets its position, which tells later whether the log forgot it superseded.
  const take = (request: PendingRequest) => {
    const duplicate = seenRequest(run.state, request.requestId);
    accept(request);
    return acceptance(run.state, request.requestId, duplicate, workflowInfo().firstExecutionRunId);
  };
  setHandler(deployUpdate, (request) => take({ kind: 'deploy', receivedAt: Date.now(), ...request }), { validator: refuseInvalidDeploy(run.ref) });
  setHandler(rollbackUpdate, (request) => take({ kind: 'rollback', receivedAt: Date.now(), ...request }), { validator: refuseInvalidRequest(run.ref) });
  setHandler(
    stopUpdate,
    (request) => {
      const answer = take({ kind: 'stop', receivedAt: Date.now(), ...request });
      run.interrupt(request, 'stop');
      return answer;
    },
    { validator: refuseInvalidRequest(run.ref) },
  );
  setHandler(cancelSignal, (request) => {
    const plan = planCancel(run.state.requests, run.inFlight, request.requestId);
    if (!plan) return;
    if (plan.interrupt) run.interrupt(request, 'cancel');
    run.logRequest(plan.entry);
    run.publish();
  });
  setHandler(reconcileSignal, (request) => {
    run.update({ reconcile: wantReconcile(run.state.reconcile, request, Date.now()) });
    run.publish();
  });
  // An approval or rejection of the request waiting for one; the validator refuses any other.
  const decide = (decision: ApprovalDecision, approved: boolean) => {
    const at = Date.now();
    const verdict: ApprovalVerdict = { approved, by: decision.decidedBy, at, ...(decision.reason ? { reason: decision.reason } : {}) };
    run.update({ approval: { ...run.state.approval!, decision: verdict } });
    run.publish();
    return { requestId: decision.requestId, decision: approved ? ('approved' as const) : ('rejected' as const), decidedAt: new Date(at).toISOString() };
  };
  setHandler(approveUpdate, (decision) => decide(decision, true), { validator: refuseApprovalDecision(run, true) });
  setHandler(rejectUpdate, (decision) => decide(decision, false), { validator: refuseApprovalDecision(run, false) });
  setHandler(policySignal, (policy) => {
    // The whole effective policy: a gate removed since is gone.
    run.update({ policy });
    run.publish();
  });
  setHandler(stateQuery, () => run.describe());

  run.publish();
  // A run that starts blank although the environment has a record (its predecessor was terminated
  // or failed) picks up from Postgres: the releases to roll back to, what runs, whether stopped.
  // Workflows that started before this existed keep their old commands on replay.
  if (!input.carried && patched('rebuild-state-from-records')) {
    const recorded = await loadRecordedState(run.ref, MAX_RECENT_RELEASES);
    // Its gates apply from the first request on, before any release loads the environment.
    if (recorded.policy) run.update({ policy: recorded.policy });
    if (recorded.releaseCount > 0 || recorded.stopped) {
      run.state = stateFromRecords(run.state, recorded);
      log.info('state rebuilt from the record', { releases: recorded.releaseCount, closedInProgress: recorded.closedInProgress });
      run.publish();
    }
  }
  for (let turn = 1; ; turn++) {
    const pending = run.state.pending;
    if (pending) {
      const delay = startDelay(run.state, pending, Date.now());
      if (delay > 0) {
        run.publish();
        await sleep(delay, { summary: 'minimum interval' });
        continue; // newer requests may have replaced the pending one meanwhile
      }
      // Environments without gates, and runs that started before gates existed, go straight on.
      let approval: ApprovalVerdict | undefined;
      if ((run.state.approval !== undefined || gatesApply(run.state, pending)) && patched('release-gates')) {
        const gate = await passGates(run, pending);
        if (gate.type !== 'go') continue;
        approval = gate.approval;
      }
      run.update({ pending: undefined, ...(run.state.approval || run.state.heldRequestId ? { approval: undefined, heldRequestId: undefined } : {}) });
      run.unregistered = false;
      await handleRequest(run, pending, approval);
    } else {
      const untilDrift = Math.max(0, nextDriftAt(run.state, Date.now()) - Date.now());
      const woken = await condition(() => run.state.pending !== undefined || run.state.reconcile !== undefined, untilDrift, {
        summary: 'idle until a request, a change in the ops repo or the cluster, or the next safety-net drift pass',
      });
      if (!woken || (run.state.pending === undefined && run.state.reconcile !== undefined)) {
        run.unregistered = false;
        await driftPass(run);
      }
    }
    // Runs that started before this rule idled on after such a failure; they replay that here.
    if (endsUnregistered(run.unregistered, run.state) && patched('end-when-unregistered')) {
      log.warn('the environment is not registered; the run ends until the next request', { project, environment });
      await run.notificationsStarted();
      await condition(allHandlersFinished);
      return;
    }
    const info = workflowInfo();
    // Runs that started before the history bound existed replay their old decision here.
    if (shouldContinueAsNew(turn, info.continueAsNewSuggested) || (historyIsFull(info.historyLength) && patched('continue-as-new-by-history-length'))) {
      await run.notificationsStarted();
      await condition(allHandlersFinished);
      return continueAsNew<typeof environmentWorkflow>({ project, environment, carried: run.state, ...(input.indexImage === false ? { indexImage: false } : {}) });
    }
  }
}
