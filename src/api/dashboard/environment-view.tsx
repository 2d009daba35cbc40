// One environment's story: what it should run against what it runs, what it waits for in plain
// words (the workflow's own answer), how far a rollout in flight got, when drift was last
// corrected, and its recent releases with who asked, why, from which ops commit, with which
// values, who approved, and what each apply changed.
import type { Principal } from '../../auth/find-token.js';
import type { DeploymentStateRow, HistoryRow } from '../../db/deployment-reads.js';
import type { DriftCorrection } from '../../db/last-drift-correction.js';
import type { EnvironmentRecord } from '../../db/environment-settings.js';
import { describeChangeCounts } from '../../domain/release-preview.js';
import type { ApprovalRecord } from '../../domain/vocabulary.js';
import type { EnvironmentState, Release } from '../../../workflows/state.js';
import type { LiveWorkflow } from '../live-workflow.js';
import { DriftCorrectionFact } from './drift-correction-fact.js';
import { EnvironmentActions } from './environment-actions.js';
import { NONE, shortSha, StatusBadge, Time } from './format.js';
import { Layout } from './layout.js';
import { environmentPath, liveEventsPath } from './paths.js';
import { ReleaseChangesView } from './release-changes-view.js';
import { ReleaseValues } from './release-values.js';
import { RolloutProgressList } from './rollout-progress-view.js';
import { ScrollBox } from './scroll-box.js';

export interface EnvironmentViewProps {
  principal: Principal;
  registration: EnvironmentRecord;
  recorded: DeploymentStateRow | null;
  /** null: the workflow was never started */
  workflow: LiveWorkflow | null;
  history: HistoryRow[];
  /** the history row of the request waiting for approval, however old; null when none waits */
  awaitingApproval: HistoryRow | null;
  /** the newest history row `corrected`, however old */
  lastDriftCorrection: DriftCorrection | null;
  /** the run in the Temporal UI, when the UI's address is configured and a run exists */
  temporalRunUrl: string | null;
  /** where the Temporal UI shows a run of this environment's workflow; null: no UI configured */
  runUrl: ((runId: string) => string) | null;
}

function liveState(workflow: LiveWorkflow | null): EnvironmentState | null {
  return (workflow?.state as EnvironmentState | null | undefined) ?? null;
}

function ReleaseCells(props: { release?: Release; image: string | null; sha: string | null; at: Date | number | null | undefined }) {
  const { release } = props;
  return (
    <>
      <td class="image">{release?.imageRef ?? props.image ?? NONE}</td>
      <td>
        <code>{shortSha(release?.opsSha ?? props.sha)}</code>
      </td>
      <td>{release ? `#${release.seq} ${release.action}, ${release.status}` : NONE}</td>
      <td>
        <Time at={release?.finishedAt ?? props.at} />
      </td>
    </>
  );
}

function DesiredAndCurrent(props: { state: EnvironmentState | null; recorded: DeploymentStateRow | null }) {
  const { state, recorded } = props;
  return (
    <section aria-labelledby="releases-heading">
      <h2 id="releases-heading">Desired and current</h2>
      <ScrollBox labelledBy="releases-heading">
        <table>
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Desired or current</span>
              </th>
              <th scope="col">Image</th>
              <th scope="col">Ops commit</th>
              <th scope="col">Release</th>
              <th scope="col">Finished</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Desired</th>
              <ReleaseCells release={state?.desired} image={recorded?.desiredImage ?? null} sha={null} at={null} />
            </tr>
            <tr>
              <th scope="row">Current</th>
              <ReleaseCells release={state?.current} image={recorded?.currentImage ?? null} sha={recorded?.currentSha ?? null} at={recorded?.deployedAt} />
            </tr>
          </tbody>
        </table>
      </ScrollBox>
    </section>
  );
}

function WorkflowNow(props: { workflow: LiveWorkflow | null; temporalRunUrl: string | null; lastDriftCorrection: DriftCorrection | null }) {
  const { workflow } = props;
  const state = liveState(workflow);
  return (
    <section aria-labelledby="now-heading">
      <h2 id="now-heading">Now</h2>
      <dl class="facts">
        {workflow === null && (
          <>
            <dt>Workflow</dt>
            <dd>not started yet: nothing was deployed to this environment</dd>
          </>
        )}
        {workflow?.state_error && (
          <>
            <dt>Workflow</dt>
            <dd class="error">{workflow.state_error}</dd>
          </>
        )}
        {state && (
          <>
            <dt>Waiting for</dt>
            <dd class="waiting-for">{state.waitingFor}</dd>
          </>
        )}
        {state?.inFlight && (
          <>
            <dt>In flight</dt>
            <dd>
              {`${state.inFlight.kind} ${state.inFlight.requestId}: step ${state.inFlight.step} since `}
              <Time at={state.inFlight.startedAt} />
              <RolloutProgressList workloads={workflow?.rollout ?? []} />
            </dd>
          </>
        )}
        {state?.pending && (
          <>
            <dt>Pending</dt>
            <dd>{`${state.pending.kind} ${state.pending.requestId} by ${state.pending.requestedBy}${state.pending.reason ? `: ${state.pending.reason}` : ''}`}</dd>
          </>
        )}
        {workflow?.waiting_on && (
          <>
            <dt>Blocked on</dt>
            <dd>{workflow.waiting_on}</dd>
          </>
        )}
        <DriftCorrectionFact correction={props.lastDriftCorrection} />
        {props.temporalRunUrl && (
          <>
            <dt>Temporal</dt>
            <dd>
              <a href={props.temporalRunUrl} rel="noreferrer">
                this run in the Temporal UI
              </a>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function describeApproval(approval: ApprovalRecord): string {
  const by = approval.by ? ` by ${approval.by}` : '';
  return `${approval.decision}${by} at ${approval.at}${approval.reason ? `: ${approval.reason}` : ''}`;
}

/** A release's changes: the counts, and the objects and fields it changed folded under them. */
function ChangesCell({ row }: { row: HistoryRow }) {
  if (!row.changes) return <>{NONE}</>;
  const counts = describeChangeCounts(row.changes.objects);
  if (row.changes.objects.length === 0) return <>{counts}</>;
  return (
    <details class="changes">
      <summary>{counts}</summary>
      <ReleaseChangesView changes={row.changes} label={row.status === 'awaiting-approval' ? 'Would change' : 'Changed'} />
    </details>
  );
}

function HistoryTable(props: { history: HistoryRow[]; runUrl: ((runId: string) => string) | null }) {
  const { runUrl } = props;
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {props.history.length === 0 ? (
        <p>No release yet.</p>
      ) : (
        <ScrollBox labelledBy="history-heading">
          <table class="history">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Action</th>
                <th scope="col">Status</th>
                <th scope="col">Image</th>
                <th scope="col">Ops commit</th>
                <th scope="col">Values</th>
                <th scope="col">Who and why</th>
                <th scope="col">Approval</th>
                <th scope="col">Changes</th>
                {runUrl && <th scope="col">Run</th>}
              </tr>
            </thead>
            <tbody>
              {props.history.map((row) => (
                <tr>
                  <td>
                    <Time at={row.startedAt} />
                  </td>
                  <td>{row.action}</td>
                  <td>
                    <StatusBadge status={row.status} />
                    {row.error && <div class="error">{`${row.errorType ? `${row.errorType}: ` : ''}${row.error}`}</div>}
                  </td>
                  <td class="image">{row.imageRef ?? NONE}</td>
                  <td>
                    <code>{shortSha(row.sha)}</code>
                  </td>
                  <td>
                    <ReleaseValues values={row.valuesOverride} />
                  </td>
                  <td>{`${row.requestedBy ?? NONE}${row.reason ? `: ${row.reason}` : ''}`}</td>
                  <td>{row.approval ? describeApproval(row.approval) : NONE}</td>
                  <td>
                    <ChangesCell row={row} />
                  </td>
                  {runUrl && <td>{row.runId ? <a href={runUrl(row.runId)} rel="noreferrer">{`run ${row.runId.slice(0, 8)}`}</a> : NONE}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
    </section>
  );
}

export function EnvironmentView(props: EnvironmentViewProps) {
  const { registration, recorded, workflow } = props;
  const state = liveState(workflow);
  const name = `${registration.project}/${registration.environment}`;
  return (
    <Layout title={name} principal={props.principal}>
      <nav aria-label="breadcrumb" class="crumbs">
        <a href="/">Fleet</a> / <a href={`/?project=${encodeURIComponent(registration.project)}`}>{registration.project}</a> / {registration.environment}
      </nav>
      {/* Read again whenever the environment's workflow reports a change (or the feed had a gap): the
          state and the releases, in one request; the actions between them are left alone, so a
          form being filled in is never wiped. The element that asks is never swapped, so a change
          that comes while a read is under way queues one more read (htmx drops it by default). */}
      <div hx-ext="sse" sse-connect={liveEventsPath({ project: registration.project, environment: registration.environment })}>
        <div
          id="environment-follow"
          hidden
          hx-get={environmentPath(registration.project, registration.environment)}
          hx-trigger="sse:changed, sse:resync"
          hx-sync="this:queue last"
          hx-select="#environment-live"
          hx-target="#environment-live"
          hx-select-oob="#environment-releases"
          hx-swap="outerHTML"
        />
        <div id="environment-live">
          <h1>
            {name} <StatusBadge status={state?.status ?? recorded?.currentStatus ?? 'new'} stopped={state?.stopped ?? recorded?.desiredStatus === 'stopped'} />
          </h1>
          <p class="muted">{`namespace ${registration.namespace} · ops repo ${registration.opsRepo.name}, ${registration.manifestPath}`}</p>
          <WorkflowNow workflow={workflow} temporalRunUrl={props.temporalRunUrl} lastDriftCorrection={props.lastDriftCorrection} />
        </div>
        <EnvironmentActions principal={props.principal} registration={registration} workflow={workflow} awaiting={props.awaitingApproval} />
        <div id="environment-releases">
          <DesiredAndCurrent state={state} recorded={recorded} />
          <HistoryTable history={props.history} runUrl={props.runUrl} />
        </div>
      </div>
    </Layout>
  );
}
