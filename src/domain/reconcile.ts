// A request to reconcile an environment now, sent by what notices changes: the ops repo's poller
// (the branch moved) and the cluster watcher (objects the environment manages drifted).

export interface ReconcileRequest {
  source: 'ops-repo' | 'cluster';
  /** what was noticed, for the record: "main moved to 3f2a9c1e", "Deployment/web changed by kubectl-edit" */
  detail: string;
  /** the branch head the poller fetched: the pass renders it without fetching again */
  opsSha?: string;
}

/** Sends `request` to the environment's running workflow; false when it has none (nothing to reconcile). */
export type SignalReconcile = (environment: { project: string; environment: string }, request: ReconcileRequest) => Promise<boolean>;
