// The fleet at a glance: every environment the token may read, grouped by project, each with its
// status, what it runs (image and ops commit), what it should run when that differs, and when it
// was last deployed. The filters are a plain GET form, so they work without script and the URL
// says what is shown; htmx only swaps the table in place of a full reload.
import type { Principal } from '../../auth/find-token.js';
import type { FleetRow } from '../../db/fleet.js';
import { FLEET_STATUSES, type FleetQuery } from './fleet-filter.js';
import { NONE, shortSha, StatusBadge, Time } from './format.js';
import { Layout } from './layout.js';
import { environmentPath } from './paths.js';

export interface FleetViewProps {
  principal: Principal;
  query: FleetQuery;
  /** the projects the project filter offers */
  projects: string[];
  rows: FleetRow[];
  /** more environments matched than are shown */
  truncated: boolean;
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

function EnvironmentRow({ row }: { row: FleetRow }) {
  const differs = row.desiredImage !== null && row.desiredImage !== row.currentImage;
  return (
    <tr>
      <th scope="row">
        <a href={environmentPath(row.project, row.environment)}>{row.environment}</a>
        <div class="muted">{row.namespace}</div>
      </th>
      <td>
        <StatusBadge status={row.status} stopped={row.desiredStatus === 'stopped'} />
      </td>
      <td class="image">{row.currentImage ?? NONE}</td>
      <td>
        <code>{shortSha(row.currentSha)}</code>
      </td>
      <td class="image">{differs ? row.desiredImage : NONE}</td>
      <td>
        <Time at={row.deployedAt} />
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
      <div id="fleet" aria-live="polite">
        <p class="count">
          {props.truncated
            ? `The first ${props.rows.length} environments that match; narrow the filters to see the others.`
            : `${props.rows.length} environment${props.rows.length === 1 ? '' : 's'}${filtered ? ' match the filters' : ''}.`}
        </p>
        {props.rows.length === 0 && <p>{filtered ? 'No environment matches these filters.' : 'No environment is registered yet (deployer env register).'}</p>}
        {groupByProject(props.rows).map(([project, rows]) => (
          <ProjectTable project={project} rows={rows} />
        ))}
      </div>
    </Layout>
  );
}
