// The buttons of one environment: deploy an image (with values), roll back to a chosen release,
// stop, cancel the deployment in flight, and approve or reject the request waiting for approval
// with its diff in front of the approver. Each asks for a reason. Only the actions the signed-in
// token may take are shown (a token that may take none sees no section at all); the routes check
// the scope again, as the API does. Each form posts to its route and, with htmx, swaps this
// section for the answer: the accepted request followed to its outcome, or the form again with
// what was typed and the error next to its field.
import type { Child } from 'hono/jsx';
import type { Principal } from '../../auth/find-token.js';
import type { HistoryRow } from '../../db/deployment-reads.js';
import { describeSummary } from '../../domain/release-preview.js';
import type { AwaitingApproval, EnvironmentState, Release } from '../../../workflows/state.js';
import type { FieldIssue } from '../errors.js';
import type { LiveWorkflow } from '../live-workflow.js';
import type { RequestOutcome } from '../request-outcome.js';
import type { FormFields } from './action-form-input.js';
import { actionPath, mayTake, type ActionName } from './action-names.js';
import { undecidedApproval } from './awaiting-approval.js';
import { ReleaseChangesView } from './release-changes-view.js';
import { RequestOutcomeView, type FollowedRequest } from './request-outcome-view.js';

/** A form sent back: what was typed, and why it was refused (per field, or as a whole). */
export interface ActionAttempt {
  action: ActionName;
  fields: FormFields;
  issues: FieldIssue[];
  /** a refusal that names no field (the workflow's, or an unreachable Temporal) */
  error?: string;
}

export interface EnvironmentActionsProps {
  principal: Principal;
  registration: { project: string; environment: string };
  workflow: LiveWorkflow | null;
  /** the history row of the request waiting for approval (awaiting-approval.ts); null when none waits */
  awaiting: HistoryRow | null;
  attempt?: ActionAttempt;
  /** the request just sent, to follow to its outcome */
  followed?: { request: FollowedRequest; outcome: RequestOutcome | null };
}

/** Approve and reject share one form (one reason), so their attempts are the same form's. */
type FormName = 'deploy' | 'rollback' | 'stop' | 'cancel' | 'approval';

function formOf(action: ActionName): FormName {
  return action === 'approve' || action === 'reject' ? 'approval' : action;
}

/** What each input needs to show an attempt: its value, and its error linked by id. */
class FormState {
  constructor(
    readonly form: FormName,
    private readonly attempt: ActionAttempt | undefined,
  ) {}

  private get mine(): ActionAttempt | undefined {
    return this.attempt && formOf(this.attempt.action) === this.form ? this.attempt : undefined;
  }

  id(field: string): string {
    return `${this.form}-${field.replace(/_/g, '-')}`;
  }

  value(field: string): string | undefined {
    return this.mine?.fields[field];
  }

  issue(field: string): FieldIssue | undefined {
    return this.mine?.issues.find((issue) => issue.field === field || issue.field.startsWith(`${field}.`));
  }

  /** aria-invalid and aria-describedby of an input whose field was refused. */
  aria(field: string): Record<string, string> {
    return this.issue(field) ? { 'aria-invalid': 'true', 'aria-describedby': `${this.id(field)}-error` } : {};
  }
}

function FieldError(props: { state: FormState; field: string }) {
  const issue = props.state.issue(props.field);
  if (!issue) return null;
  return (
    <p class="field-error error" id={`${props.state.id(props.field)}-error`}>
      {issue.message}
    </p>
  );
}

/**
 * What was refused, in one place above the forms: every message, also those of fields next to
 * their inputs (a summary a screen reader hears first), and those of forms not shown any more (an
 * approval decided meanwhile, a deployment no longer in flight).
 */
function Refusal(props: { attempt: ActionAttempt }) {
  const { attempt } = props;
  const messages = [...attempt.issues.map((issue) => issue.message), ...(attempt.error ? [attempt.error] : [])];
  return (
    <div class="error refusal" role="alert">
      <p>{`${attempt.action} refused:`}</p>
      <ul>
        {messages.map((message) => (
          <li>{message}</li>
        ))}
      </ul>
    </div>
  );
}

function ReasonInput(props: { state: FormState }) {
  const { state } = props;
  const id = state.id('reason');
  return (
    <div class="field">
      <label for={id}>Reason</label>
      <input type="text" id={id} name="reason" required maxlength={500} value={state.value('reason') ?? ''} {...state.aria('reason')} />
      <FieldError state={state} field="reason" />
    </div>
  );
}

/** A form that posts to its route, and with htmx swaps the actions section for the answer. */
function ActionForm(props: { path: string; name: FormName; legend: string; children?: Child }) {
  return (
    <form method="post" action={props.path} hx-post={props.path} hx-target="#actions" hx-swap="outerHTML" class={`action action-${props.name}`}>
      <fieldset>
        <legend>{props.legend}</legend>
        {props.children}
      </fieldset>
    </form>
  );
}

function DeployForm(props: { path: string; attempt?: ActionAttempt }) {
  const state = new FormState('deploy', props.attempt);
  return (
    <ActionForm path={props.path} name="deploy" legend="Deploy an image">
      <div class="field">
        <label for={state.id('image_ref')}>Image</label>
        <input type="text" id={state.id('image_ref')} name="image_ref" required autocomplete="off" value={state.value('image_ref') ?? ''} {...state.aria('image_ref')} />
        <FieldError state={state} field="image_ref" />
      </div>
      <div class="field">
        <label for={state.id('values_override')}>Values for this release (YAML or JSON, optional)</label>
        <textarea id={state.id('values_override')} name="values_override" rows={3} {...state.aria('values_override')}>
          {state.value('values_override') ?? ''}
        </textarea>
        <FieldError state={state} field="values_override" />
      </div>
      <ReasonInput state={state} />
      <button type="submit">Deploy</button>
    </ActionForm>
  );
}

/** The releases a rollback may return to: healthy ones other than the current, newest first. */
function rollbackCandidates(state: EnvironmentState | null): Release[] {
  return (state?.releases ?? []).filter((release) => release.status === 'healthy' && release.seq !== state?.current?.seq);
}

function RollbackForm(props: { path: string; state: EnvironmentState | null; attempt?: ActionAttempt }) {
  const state = new FormState('rollback', props.attempt);
  const candidates = rollbackCandidates(props.state);
  const chosen = state.value('to_release') ?? '';
  return (
    <ActionForm path={props.path} name="rollback" legend="Roll back">
      {candidates.length === 0 ? (
        <p class="muted">No earlier healthy release to roll back to.</p>
      ) : (
        <>
          <div class="field">
            <label for={state.id('to_release')}>To release</label>
            <select id={state.id('to_release')} name="to_release" {...state.aria('to_release')}>
              <option value="" selected={chosen === ''}>
                the last healthy release before the current
              </option>
              {candidates.map((release) => (
                <option value={String(release.seq)} selected={chosen === String(release.seq)}>
                  {`#${release.seq} ${release.imageRef} (${release.action})`}
                </option>
              ))}
            </select>
            <FieldError state={state} field="to_release" />
          </div>
          <ReasonInput state={state} />
          <button type="submit">Roll back</button>
        </>
      )}
    </ActionForm>
  );
}

function ReasonOnlyForm(props: { path: string; name: 'stop' | 'cancel'; legend: string; button: string; note: string; attempt?: ActionAttempt }) {
  const state = new FormState(props.name, props.attempt);
  return (
    <ActionForm path={props.path} name={props.name} legend={props.legend}>
      <p class="muted">{props.note}</p>
      <ReasonInput state={state} />
      <button type="submit">{props.button}</button>
    </ActionForm>
  );
}

function ApprovalForm(props: { project: string; environment: string; approval: AwaitingApproval; awaiting: HistoryRow | null; attempt?: ActionAttempt }) {
  const { approval } = props;
  const state = new FormState('approval', props.attempt);
  // The awaiting request's diff: its history row keeps what its preview said the release would change.
  const changes = props.awaiting?.requestId === approval.requestId ? props.awaiting.changes : null;
  const approve = actionPath(props.project, props.environment, 'approve');
  const reject = actionPath(props.project, props.environment, 'reject');
  return (
    <form method="post" action={approve} hx-target="#actions" hx-swap="outerHTML" class="action action-approval">
      <fieldset>
        <legend>{`Approve or reject the ${approval.kind} ${approval.requestId}`}</legend>
        <p>{`Asked by ${approval.requestedBy}; it would change: ${describeSummary(approval.summary)}.`}</p>
        {changes ? <ReleaseChangesView changes={changes} label="What it changes" /> : <p class="muted">Its history row keeps no diff.</p>}
        <input type="hidden" name="request_id" value={approval.requestId} />
        <ReasonInput state={state} />
        <div class="buttons">
          <button type="submit" formaction={approve} hx-post={approve}>
            Approve
          </button>
          <button type="submit" formaction={reject} hx-post={reject}>
            Reject
          </button>
        </div>
      </fieldset>
    </form>
  );
}

export function EnvironmentActions(props: EnvironmentActionsProps) {
  const { principal, registration, attempt, followed } = props;
  const { project, environment } = registration;
  const may = (action: ActionName) => mayTake(principal, action, project);
  if (!may('deploy') && !may('approve')) return null;
  const state = (props.workflow?.state as EnvironmentState | null | undefined) ?? null;
  // A decided approval waits only for its request to run: there is nothing left to decide.
  const approval = undecidedApproval(props.workflow);
  return (
    <section id="actions" aria-labelledby="actions-heading" class="actions">
      <h2 id="actions-heading">Actions</h2>
      <div id="action-result" aria-live="polite">
        {followed && <RequestOutcomeView request={followed.request} outcome={followed.outcome} />}
        {attempt && <Refusal attempt={attempt} />}
      </div>
      {approval && may('approve') && <ApprovalForm project={project} environment={environment} approval={approval} awaiting={props.awaiting} attempt={attempt} />}
      {may('deploy') && (
        <div class="action-forms">
          <DeployForm path={actionPath(project, environment, 'deploy')} attempt={attempt} />
          <RollbackForm path={actionPath(project, environment, 'rollback')} state={state} attempt={attempt} />
          <ReasonOnlyForm
            path={actionPath(project, environment, 'stop')}
            name="stop"
            legend="Stop"
            button="Stop"
            note="Scales the workloads to 0 until the next deploy."
            attempt={attempt}
          />
          {state?.inFlight && (
            <ReasonOnlyForm
              path={actionPath(project, environment, 'cancel')}
              name="cancel"
              legend={`Cancel the ${state.inFlight.kind} in flight`}
              button="Cancel deployment"
              note={`Aborts ${state.inFlight.requestId} (step ${state.inFlight.step}) and records it cancelled.`}
              attempt={attempt}
            />
          )}
        </div>
      )}
    </section>
  );
}
