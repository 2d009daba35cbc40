// The fleet at a glance: every environment the token may read, grouped by project, each with its
// live status (deploying and its step, waiting and for what), what it runs (image and ops commit),
// what it should run when that differs, and when it was last deployed and last corrected. The
// filters are a plain GET form, so they work without script and the URL says what is shown; htmx
// only swaps the table in place of a full reload. The page listens to the live feed: each change a
// workflow reports replaces that environment's row, and a feed that missed notices reloads the table.
import type { Principal } from '../../auth/find-token.js';
import type { FleetRow } from '../../db/fleet.js';
import { FLEET_STATUSES, type FleetQuery } from './fleet-filter.js';
import { NONE, shortSha, StatusBadge, Time } from './format.js';
import { Layout } from './layout.js';
import { environmentPath, fleetRowId, liveEventsPath } from './paths.js';

export interface FleetViewProps {
  principal: Principal;
  query: FleetQuery;
  /** the projects the project filter offers */
  projects: string[];
  rows: FleetRow[];
  /** more environments matched than are shown */
  truncated: boolean;
  /** this page's path and query, which a resync reads again */
  selfUrl: string;
}

/** What the live feed sends the fleet for changed environments: their rows, each replacing its own. */
export function FleetRowUpdates({ rows }: { rows: FleetRow[] }) {
  return (
    <template>
      {rows.map((row) => (
        <EnvironmentRow row={row} outOfBand />
      ))}
    </template>
  );
}

function groupByProject(rows: FleetRow[]): Array<[string, FleetRow[]]> {
  const groups = new Map<string, FleetRow[]>();
  for (const row of rows) groups.set(row.project, [...(groups.get(row.project) ?? []), row]);
  return [...groups];
}

function Filters(props: { query: FleetQuery; projects: string[]; boundTo: string | null }) {
  const { query } = props;
  return (
    <form method="get" action="/" role="search" class="filters" hx-get="/" hx-target="#fleet" hx-select="#fleet" hx-swap="outerHTML" hx-push-url="true" hx-trigger="submit, change">
      <label>
        Project
        <select name="project" disabled={props.boundTo !== null}>
          {props.boundTo === null && <option value="">all projects</option>}
          {props.projects.map((project) => (
            <option value={project} selected={project === query.project}>
              {project}
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select name="status">
          <option value="">any status</option>
          {FLEET_STATUSES.map((status) => (
            <option value={status} selected={status === query.status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        Text
        <input type="search" name="q" value={query.q ?? ''} placeholder="environment, namespace or image" maxlength={200} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** The status, with what it is doing or waiting for and until when. */
function LiveStatusCell({ row }: { row: FleetRow }) {
  return (
    <td>
      <StatusBadge status={row.status} stopped={row.desiredStatus === 'stopped' && row.status !== 'deploying' && row.status !== 'waiting'} />
      {row.statusDetail && <div class="muted">{row.statusDetail}</div>}
      {row.waitUntil && (
        <div class="muted">
          until <Time at={row.waitUntil} />
        </div>
      )}
    </td>
  );
}

export function EnvironmentRow({ row, outOfBand = false }: { row: FleetRow; outOfBand?: boolean }) {
  const differs = row.desiredImage !== null && row.desiredImage !== row.currentImage;
  return (
    <tr id={fleetRowId(row.project, row.environment)} {...(outOfBand ? { 'hx-swap-oob': 'true' } : {})}>
      <th scope="row">
        <a href={environmentPath(row.project, row.environment)}>{row.environment}</a>
        <div class="muted">{row.namespace}</div>
      </th>
      <LiveStatusCell row={row} />
      <td class="image">{row.currentImage ?? NONE}</td>
      <td>
        <code>{shortSha(row.currentSha)}</code>
      </td>
      <td class="image">{differs ? row.desiredImage : NONE}</td>
      <td>
        <Time at={row.deployedAt} />
      </td>
      <td>
        <Time at={row.driftCorrectedAt} />
      </td>
    </tr>
  );
}

function ProjectTable(props: { project: string; rows: FleetRow[] }) {
  return (
    <section class="project" aria-labelledby={`project-${props.project}`}>
      <h2 id={`project-${props.project}`}>{props.project}</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">Status</th>
              <th scope="col">Current image</th>
              <th scope="col">Ops commit</th>
              <th scope="col">Desired image (when it differs)</th>
              <th scope="col">Last deployed</th>
              <th scope="col">Last drift correction</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <EnvironmentRow row={row} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function FleetView(props: FleetViewProps) {
  const filtered = props.query.status !== undefined || props.query.q !== undefined || (props.query.project !== undefined && props.principal.project === null);
  return (
    <Layout title="Fleet" principal={props.principal}>
      <h1>Fleet</h1>
      <Filters query={props.query} projects={props.projects} boundTo={props.principal.project} />
      {/* The live feed's rows swap in by their ids (out of band); on "resync" the tables are read again. */}
      <div id="fleet" hx-ext="sse" sse-connect={liveEventsPath({ project: props.query.project })} sse-swap="fleet" hx-swap="none">
        <div id="fleet-tables" hx-get={props.selfUrl} hx-trigger="sse:resync" hx-select="#fleet-tables" hx-swap="outerHTML">
          <p class="count" role="status">
            {props.truncated
              ? `The first ${props.rows.length} environments that match; narrow the filters to see the others.`
              : `${props.rows.length} environment${props.rows.length === 1 ? '' : 's'}${filtered ? ' match the filters' : ''}.`}
          </p>
          {props.rows.length === 0 && <p>{filtered ? 'No environment matches these filters.' : 'No environment is registered yet (deployer env register).'}</p>}
          {groupByProject(props.rows).map(([project, rows]) => (
            <ProjectTable project={project} rows={rows} />
          ))}
        </div>
      </div>
    </Layout>
  );
}
