// The dashboard's actions on one environment, the scope each needs, and who may see their buttons:
// a decision on what the signed-in token may do, made once for the view and the routes alike.
import type { Principal } from '../../auth/find-token.js';
import { grantsScope, type Scope } from '../../auth/scopes.js';
import { environmentPath } from './paths.js';

export const ACTIONS = ['deploy', 'rollback', 'stop', 'cancel', 'approve', 'reject'] as const;
export type ActionName = (typeof ACTIONS)[number];

/** The scope of each action: the same as its API route's. */
export const ACTION_SCOPE: Record<ActionName, Scope> = {
  deploy: 'deploy:promote',
  rollback: 'deploy:promote',
  stop: 'deploy:promote',
  cancel: 'deploy:promote',
  approve: 'deploy:approve',
  reject: 'deploy:approve',
};

/** The audit row's action of each, as its API route records it. */
export const ACTION_AUDIT: Record<ActionName, string> = {
  deploy: 'deployment.update',
  rollback: 'deployment.rollback',
  stop: 'deployment.stop',
  cancel: 'deployment.cancel',
  approve: 'deployment.approve',
  reject: 'deployment.reject',
};

/** Whether `principal` may take `action` in `project`: its scope, and a project-bound token only in its project. */
export function mayTake(principal: Principal, action: ActionName, project: string): boolean {
  return grantsScope(principal.scopes, ACTION_SCOPE[action]) && (principal.project === null || principal.project === project);
}

export function actionPath(project: string, environment: string, action: ActionName): string {
  return `${environmentPath(project, environment)}/${action}`;
}

export function requestPath(project: string, environment: string, requestId: string): string {
  return `${environmentPath(project, environment)}/requests/${encodeURIComponent(requestId)}`;
}
