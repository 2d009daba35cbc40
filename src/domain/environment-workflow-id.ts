// The id of an environment's long-lived workflow, and the environment an id names. Project and
// environment are slugs (no "/"), so the id reads back unambiguously.
import type { EnvironmentRef } from './vocabulary.js';

const PREFIX = 'deploy/';

export function environmentWorkflowId(project: string, environment: string): string {
  return `${PREFIX}${project}/${environment}`;
}

/** The environment whose workflow has this id; undefined for any other workflow (a preview, a poller, a test's). */
export function environmentOfWorkflowId(workflowId: string): EnvironmentRef | undefined {
  if (!workflowId.startsWith(PREFIX)) return undefined;
  const parts = workflowId.slice(PREFIX.length).split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { project: parts[0], environment: parts[1] };
}
