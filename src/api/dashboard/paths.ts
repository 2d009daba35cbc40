// The dashboard's own URLs, built in one place so links and routes agree.
export function environmentPath(project: string, environment: string): string {
  return `/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}`;
}
