// One release (a deploy, a rollback or an automatic rollback) from start to record: it becomes the
// desired release, runs through the pipeline and ends healthy, failed or cancelled, with a history
// row written at both ends and the environment's state written at the end.
import { log, patched } from '@temporalio/workflow';
import type { HistoryAction, HistoryRecord, HistoryStatus } from '../activities/types.js';
import { recordRelease, releaseOutcome, type ReleasePlan } from './decide.js';
import { approvalRecord } from './gates.js';
import { CancelledByRequest, errorMessage, reachedRelease, type EnvironmentRun } from './environment-run.js';
import type { RequestMeta } from './messages.js';
import { resumeIfStopped, runPipeline, waitHealthy } from './pipeline.js';
import type { ApprovalVerdict, Release } from './state.js';
import { applyRelease, rollOutRelease } from './steps.js';

/** `approval`: the decision an approval-gated request passed with, recorded on the release's row. */
export async function runRelease(run: EnvironmentRun, plan: ReleasePlan, meta: RequestMeta, approval?: ApprovalVerdict): Promise<Release> {
  const now = Date.now();
  const kind = plan.action === 'deploy' ? 'deploy' : 'rollback';
  let release: Release = { ...plan, seq: run.state.nextSeq, status: 'in-progress', requestId: meta.requestId, startedAt: now };
  const save = (changes: Partial<Release>) => {
    release = { ...release, ...changes };
    run.update({ desired: release, releases: recordRelease(run.state.releases, release) });
  };
  // A release applies everything, so it serves any reconcile wanted so far.
  run.update({ nextSeq: run.state.nextSeq + 1, lastStartedAt: now, status: 'deploying', reconcile: undefined });
  save({});
  run.interruption = undefined;
  run.inFlight = { requestId: meta.requestId, kind, step: 'load', releaseSeq: release.seq, startedAt: now };
  run.logRequest({ requestId: meta.requestId, kind, outcome: 'running', releaseSeq: release.seq });
  const key = run.historyKey();
  // Releases of workflows that started before the bookkeeping ran locally keep their commands on replay.
  const local = patched('release-records-as-local-activities');
  const row = (status: HistoryStatus, extra: Partial<HistoryRecord> = {}) => ({
    idempotencyKey: key,
    action: plan.action as HistoryAction,
    status,
    imageRef: release.imageRef,
    sha: release.opsSha,
    manifestHash: release.manifestHash,
    valuesOverride: release.valuesOverride,
    requestId: meta.requestId,
    requestedBy: meta.requestedBy,
    reason: meta.reason,
    startedAt: new Date(release.startedAt).toISOString(),
    ...(approval ? { approval: approvalRecord(approval, now) } : {}),
    ...extra,
  });
  const history = (status: HistoryStatus, extra: Partial<HistoryRecord> = {}) => run.recordHistory(row(status, extra), { local });
  const occurrence = `release-${release.seq}`;
  const told = () => ({ requestId: meta.requestId, releaseSeq: release.seq, imageRef: release.imageRef, opsSha: release.opsSha, actor: meta.requestedBy, reason: meta.reason });
  run.notify('dev.deployer.release.started', occurrence, { ...told(), detail: plan.action });
  /** when the rollout's own activity recorded the release healthy (its history row and the state) */
  let recordedAt: number | undefined;
  try {
    // Releases of workflows that started before a release applied in one activity keep their
    // commands on replay: load, the in-progress row, sync, render and apply one by one.
    if (patched('release-applies-in-one-activity')) {
      const done = await run.step('apply', () =>
        applyRelease(`load ${run.ref.project}/${run.ref.environment}, sync its ops repo, render and apply ${release.imageRef}`, {
          ref: run.ref,
          release: { imageRef: release.imageRef, opsSha: release.opsSha, valuesOverride: release.valuesOverride, pinned: release.pinned },
          started: { ...run.ref, ...row('in-progress') },
        }).catch((error: unknown) => {
          // A release that failed after its sync still records the commit (and manifest) it got to.
          const reached = reachedRelease(error);
          if (reached) save(reached.manifestHash ? { opsSha: reached.opsSha, manifestHash: reached.manifestHash } : { opsSha: reached.opsSha });
          throw error;
        }),
      );
      run.update({ policy: done.config.policy });
      save({ opsSha: done.sha, manifestHash: done.rendered.manifestHash });
      await resumeIfStopped(run, done.config, {});
      // The wait writes the healthy record itself once the rollout is done: what the state will be then.
      const healthy: Release = { ...release, status: 'healthy' };
      const rolled = await run.step('health', () =>
        waitHealthy(run, (scope) =>
          rollOutRelease(scope, done.config, done.rendered.objects, {
            history: { ...run.ref, ...row('healthy') },
            state: run.stateRecord({ ...run.state, desired: healthy, current: healthy, status: 'healthy' }),
          }),
        ),
      );
      if (rolled.recorded) recordedAt = Date.parse(rolled.finishedAt);
    } else {
      const config = await run.step('load', () => run.load());
      await run.step('record', () => history('in-progress'));
      await runPipeline(run, config, release, { kind: 'release' }, save);
    }
    save({ status: 'healthy', finishedAt: recordedAt ?? Date.now() });
    run.update({ current: release, status: 'healthy' });
  } catch (error) {
    const cancelled = error instanceof CancelledByRequest;
    save({ status: cancelled ? 'cancelled' : 'failed', finishedAt: Date.now(), error: errorMessage(error) });
    run.update({ status: cancelled ? 'cancelled' : 'failed' });
    log.warn('release did not become healthy', { seq: release.seq, error: release.error });
  } finally {
    run.inFlight = { ...run.inFlight!, step: 'record' };
    run.publish();
  }
  const outcome = releaseOutcome(release.status);
  run.notify(
    outcome === 'healthy' ? (plan.action === 'deploy' ? 'dev.deployer.release.healthy' : 'dev.deployer.release.rolled-back') : outcome === 'cancelled' ? 'dev.deployer.release.cancelled' : 'dev.deployer.release.failed',
    occurrence,
    { ...told(), error: release.error, detail: plan.action },
  );
  run.logRequest({ requestId: meta.requestId, kind, outcome, releaseSeq: release.seq, detail: release.error });
  // Written here unless the rollout's activity wrote them (a healthy release whose record Postgres took).
  if (recordedAt === undefined) {
    await history(outcome, {
      sha: release.opsSha,
      manifestHash: release.manifestHash,
      error: release.error,
      finishedAt: new Date(release.finishedAt ?? Date.now()).toISOString(),
    });
    await run.recordState({ local });
  }
  run.inFlight = undefined;
  run.publish();
  return release;
}
