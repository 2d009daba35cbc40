// What became of a request the dashboard's buttons sent: "accepted: request <id>", then where it
// stands, until its final outcome. While it is not final the fragment asks for itself again
// (hx-trigger="load"); the server holds each ask until the outcome is final or a while has passed
// (the API's wait_s), so the page follows the request without polling every moment. Without
// script, the same URL is a page with a link to look again.
import type { RequestOutcome } from '../request-outcome.js';
import { requestPath } from './action-names.js';
import { StatusBadge } from './format.js';

/** How long the server holds one ask for the outcome, in seconds: below browsers' and proxies' idle timeouts. */
export const FOLLOW_WAIT_S = 20;

export interface FollowedRequest {
  project: string;
  environment: string;
  requestId: string;
  /** what the dashboard did: "accepted", or the decision taken ("approved", "rejected") */
  taken: string;
}

function OutcomeLine(props: { outcome: RequestOutcome }) {
  const { outcome } = props;
  const error = outcome.release?.error ?? null;
  return (
    <p>
      {'outcome: '}
      <StatusBadge status={outcome.outcome} />
      {!outcome.final && ` (following${outcome.step ? `: ${outcome.step}` : ''}${outcome.waiting_for ? `; ${outcome.waiting_for}` : ''})`}
      {outcome.release && ` ${outcome.release.image_ref}`}
      {outcome.detail && <span class="error">{` ${outcome.detail}`}</span>}
      {error && error !== outcome.detail && <span class="error">{` ${error}`}</span>}
    </p>
  );
}

export function RequestOutcomeView(props: { request: FollowedRequest; outcome: RequestOutcome | null }) {
  const { request, outcome } = props;
  const path = requestPath(request.project, request.environment, request.requestId);
  const final = outcome?.final === true;
  const follow = final ? {} : { 'hx-get': `${path}?taken=${encodeURIComponent(request.taken)}&wait_s=${FOLLOW_WAIT_S}`, 'hx-trigger': 'load', 'hx-swap': 'outerHTML' };
  return (
    <div class="request-outcome" data-request-id={request.requestId} data-final={final ? 'true' : 'false'} {...follow}>
      <p>
        {`${request.taken}: request `}
        <code>{request.requestId}</code>
      </p>
      {outcome ? <OutcomeLine outcome={outcome} /> : <p>outcome: following…</p>}
      {!final && (
        <noscript>
          <p>
            <a href={`${path}?taken=${encodeURIComponent(request.taken)}&wait_s=${FOLLOW_WAIT_S}`}>Look again</a>
          </p>
        </noscript>
      )}
    </div>
  );
}
