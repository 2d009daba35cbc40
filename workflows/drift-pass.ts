// A drift pass: in the background, keep a stopped environment at zero or re-apply the desired
// release, applying only what someone changed, and wait for the rollout when something changed.
// It records a row only when it corrected something, or when it failed in a way not recorded yet.
import { patched, workflowInfo } from '@temporalio/workflow';
import type { ScaleResult } from '../activities/types.js';
import { driftErrorIsNew, planDrift, recordRelease, unhealthyDesired, type DriftPlan } from './decide.js';
import { driftCorrectionReason, driftRequestedBy } from './display.js';
import { errorMessage, errorType, type EnvironmentRun } from './environment-run.js';
import { backgroundTaskQueue } from './messages.js';
import { awaitRollout, runPipeline, type PipelineResult } from './pipeline.js';
import type { ReconcileWanted, Release } from './state.js';
import { checkDrift, scaleWorkloads, type Queue } from './steps.js';

type Checked = { type: 'keep-stopped'; scaled: ScaleResult['scaled'] } | ({ type: 'reapply'; release: Release } & PipelineResult);
type ActivePlan = Exclude<DriftPlan, { type: 'none' }>;

export async function driftPass(run: EnvironmentRun): Promise<void> {
  const now = Date.now();
  const trigger = run.state.reconcile;
  run.update({ lastDriftAt: now, reconcile: undefined });
  // A stop or cancel interrupts the release it was sent for. Left set, it failed every later
  // drift pass that found a change, in its wait for health, until the next release started.
  if (run.interruption && patched('drift-clears-past-interruption')) run.interruption = undefined;
  // Workflows that started before drift kept to healthy releases re-applied a failed one when
  // nothing healthy existed; that path keeps its old commands on replay.
  const legacyDrift = unhealthyDesired(run.state) !== undefined && !run.state.current && !patched('drift-reapplies-only-healthy');
  const plan = planDrift(run.state, { onlyHealthy: !legacyDrift });
  if (plan.type === 'none') return;
  run.inFlight = { requestId: `drift-${now}`, kind: 'drift', step: 'load', startedAt: now };
  const base = { idempotencyKey: run.historyKey(), action: 'drift' as const, requestedBy: driftRequestedBy(trigger), startedAt: new Date(now).toISOString() };
  const noticed = trigger ? [`noticed: ${trigger.detail}`] : [];
  // Background work: its activities go to their own task queue, so deploys never wait behind it.
  const queue = { taskQueue: backgroundTaskQueue(workflowInfo().taskQueue) };
  try {
    // Passes of workflows that started before the check was one activity keep their four on replay.
    const checked = patched('drift-check-in-one-activity') ? await checkInOneActivity(run, plan, trigger, queue) : await checkStepByStep(run, plan, trigger, queue);
    if (checked.type === 'keep-stopped') {
      if (checked.scaled.length > 0) {
        await run.step('record', () => run.recordHistory({ ...base, status: 'corrected', reason: [`scaled ${checked.scaled.length} workload(s) back to 0`, ...noticed].join('; '), finishedAt: new Date(Date.now()).toISOString() }));
      }
    } else if (checked.rolledOut) {
      const { release, sha, rendered, applied } = checked;
      const updated: Release = { ...release, opsSha: sha, manifestHash: rendered.manifestHash };
      run.update({
        desired: updated,
        current: run.state.current?.seq === release.seq ? updated : run.state.current,
        releases: recordRelease(run.state.releases, updated),
      });
      await run.step('record', () =>
        run.recordHistory({
          ...base,
          status: 'corrected',
          imageRef: release.imageRef,
          sha,
          manifestHash: rendered.manifestHash,
          reason: driftCorrectionReason(sha !== release.opsSha ? sha : undefined, applied.changes, noticed),
          finishedAt: new Date(Date.now()).toISOString(),
        }),
      );
      await run.recordState();
      run.notify('dev.deployer.drift.corrected', `drift-${now}`, {
        releaseSeq: release.seq,
        imageRef: release.imageRef,
        opsSha: sha,
        actor: base.requestedBy,
        detail: driftCorrectionReason(sha !== release.opsSha ? sha : undefined, applied.changes, noticed),
      });
    }
    run.update({ lastDriftError: undefined });
  } catch (error) {
    const message = errorMessage(error);
    if (driftErrorIsNew(run.state, message)) {
      run.update({ lastDriftError: message });
      await run.recordHistory({ ...base, status: 'failed', error: message, errorType: errorType(error), finishedAt: new Date(Date.now()).toISOString() });
    }
  } finally {
    run.inFlight = undefined;
    run.publish();
  }
}

/** Load, then sync, render and apply (or scale) in one activity; then the rollout, when something changed. */
async function checkInOneActivity(run: EnvironmentRun, plan: ActivePlan, trigger: ReconcileWanted | undefined, queue: Queue): Promise<Checked> {
  const { project, environment } = run.ref;
  const release = plan.type === 'reapply' ? plan.release : undefined;
  const checked = await run.step('check', () =>
    checkDrift(
      `drift: ${release ? `re-apply what drifted of ${release.imageRef}` : 'keep scaled to 0'} in ${project}/${environment}`,
      { ref: run.ref, plan: release ? { type: 'reapply', release, knownHead: trigger?.opsSha } : { type: 'keep-stopped' } },
      queue,
    ),
  );
  run.update({ policy: checked.config.policy });
  // The activity answers for the plan it was given: a re-apply for a release, else keep-stopped.
  if (checked.type === 'keep-stopped') return checked;
  const done = await awaitRollout(run, checked.config, release!, { kind: 'drift', queue }, checked);
  return { type: 'reapply', release: release!, ...done };
}

/** Each step its own activity, as passes of workflows that started before checkInOneActivity ran. */
async function checkStepByStep(run: EnvironmentRun, plan: ActivePlan, trigger: ReconcileWanted | undefined, queue: Queue): Promise<Checked> {
  const { project, environment } = run.ref;
  const config = await run.step('load', () => run.load(queue));
  if (plan.type === 'keep-stopped') {
    const { scaled } = await run.step('scale', () =>
      scaleWorkloads(`keep ns ${config.namespace} scaled to 0`, { project, environment, namespace: config.namespace, action: 'stop', impersonate: config.impersonate }, queue),
    );
    return { type: 'keep-stopped', scaled };
  }
  const done = await runPipeline(run, config, plan.release, { kind: 'drift', knownHead: trigger?.opsSha, queue });
  return { type: 'reapply', release: plan.release, ...done };
}
