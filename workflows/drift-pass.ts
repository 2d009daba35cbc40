// A drift pass: in the background, keep a stopped environment at zero or re-apply the desired
// release through the pipeline, applying only what someone changed. It records a row only when it
// corrected something, or when it failed in a way not recorded yet.
import { patched, workflowInfo } from '@temporalio/workflow';
import { driftErrorIsNew, planDrift, recordRelease, unhealthyDesired } from './decide.js';
import { driftCorrectionReason, driftRequestedBy } from './display.js';
import { errorMessage, errorType, type EnvironmentRun } from './environment-run.js';
import { backgroundTaskQueue } from './messages.js';
import { runPipeline } from './pipeline.js';
import type { Release } from './state.js';
import { scaleWorkloads } from './steps.js';

export async function driftPass(run: EnvironmentRun): Promise<void> {
  const { project, environment } = run.ref;
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
    const config = await run.step('load', () => run.load(queue));
    if (plan.type === 'keep-stopped') {
      const { scaled } = await run.step('scale', () =>
        scaleWorkloads(`keep ns ${config.namespace} scaled to 0`, { project, environment, namespace: config.namespace, action: 'stop', impersonate: config.impersonate }, queue),
      );
      if (scaled.length > 0) {
        await run.step('record', () => run.recordHistory({ ...base, status: 'corrected', reason: [`scaled ${scaled.length} workload(s) back to 0`, ...noticed].join('; '), finishedAt: new Date(Date.now()).toISOString() }));
      }
    } else {
      const release = plan.release;
      const { sha, rendered, applied, rolledOut } = await runPipeline(run, config, release, { kind: 'drift', knownHead: trigger?.opsSha, queue });
      if (rolledOut) {
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
      }
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
