// The dashboard's own URLs, built in one place so links and routes agree.
export function environmentPath(project: string, environment: string): string {
  return `/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}`;
}

/** Where the dashboard's live updates stream from: the fleet's, or one environment's. */
export function liveEventsPath(filter: { project?: string; environment?: string }): string {
  const query = new URLSearchParams();
  if (filter.project) query.set('project', filter.project);
  if (filter.environment) query.set('env', filter.environment);
  const search = query.toString();
  return `/dashboard/events${search ? `?${search}` : ''}`;
}

/** The id of an environment's row in the fleet, which a live update replaces (names are slugs: no `_`). */
export function fleetRowId(project: string, environment: string): string {
  return `env-${project}__${environment}`;
}
