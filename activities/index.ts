// The activities the worker registers. Each stage lives in its own file; this module wires them to
// the process's shared resources (Postgres pool, Kubernetes config, ops repo cache) and exports
// the contract types the workflow proxies.
import type * as k8s from '@kubernetes/client-node';
import type pg from 'pg';
import type { Keyring } from '../src/crypto/keyring.js';
import { loadGitCredentials } from '../src/db/ops-repo-credentials.js';
import { recordReleaseChanges } from '../src/db/release-changes.js';
import { writeRolloutProgress } from '../src/db/environment-rollout.js';
import type { ReleaseChanges } from '../src/domain/release-changes.js';
import { createApplyActivities } from './apply.js';
import { createDriftCheckActivities } from './drift-check.js';
import { createEnvironmentActivities } from './environment.js';
import { createHealthActivities } from './health.js';
import { createOpsRepoActivities } from './ops-repo.js';
import { createOpsRepoPollActivities } from './ops-repo-poll.js';
import { createApplyReleaseActivities } from './apply-release.js';
import { createRollOutReleaseActivities } from './roll-out-release.js';
import { createPreviewReleaseActivities } from './preview-release.js';
import { createRequestApprovalActivities } from './request-approval.js';
import { createRecordActivities, finishInProgressHistory } from './record.js';
import { createRecordedStateActivities } from './recorded-state.js';
import { createRenderActivities } from './render.js';
import { createScaleActivities } from './scale.js';
import type { SignalReconcile } from '../src/domain/reconcile.js';
import { createClusterWatchActivities } from './cluster-watch.js';
import { createNotifyActivities } from './notify.js';
import type { ClusterWatchActivities, DeployerActivities, EnvironmentPolicy, OpsRepoPollerActivities } from './types.js';

export * from './types.js';

export interface ActivityDeps {
  pool: pg.Pool;
  kubeConfig: k8s.KubeConfig;
  /** where ops repositories are cloned; shared by every environment on this worker */
  repoCacheDir: string;
  /** allow file:// ops repo URLs (local development and tests) */
  allowFileUrls: boolean;
  /** policy of environments that set none of their own (from configuration) */
  defaultPolicy?: EnvironmentPolicy;
  /** service account (in each environment's namespace) that environments without their own apply as */
  defaultServiceAccount?: string;
  /** tells an environment's running workflow to reconcile now (ops repo poller, cluster watcher) */
  signalReconcile: SignalReconcile;
  /** DEPLOYER_PAYLOAD_KEYS: opens environments' secrets and renders that used them; absent: no secrets */
  payloadKeys?: Keyring;
}

export function createActivities(deps: ActivityDeps): DeployerActivities & ClusterWatchActivities & OpsRepoPollerActivities {
  // Every git fetch asks for the credentials of its remote, read fresh so a changed token applies at once.
  const withGit = { ...deps, credentialsFor: (url: string) => loadGitCredentials(deps.pool, deps.payloadKeys, url) };
  const steps = {
    ...createEnvironmentActivities(deps),
    ...createOpsRepoActivities(withGit),
    ...createRenderActivities(withGit),
    ...createApplyActivities(deps),
    ...createScaleActivities(deps),
  };
  const records = createRecordActivities(deps);
  const changesRecorder = (key: string, changes: ReleaseChanges) => recordReleaseChanges(deps.pool, key, changes);
  const health = createHealthActivities({ ...deps, reportRollout: (report) => writeRolloutProgress(deps.pool, report) });
  return {
    ...steps,
    ...createDriftCheckActivities(steps),
    ...createApplyReleaseActivities({ ...steps, ...records, recordReleaseChanges: changesRecorder }),
    ...createRollOutReleaseActivities({ ...health, ...records, finishHistory: (row) => finishInProgressHistory(deps.pool, row) }),
    ...createPreviewReleaseActivities(steps),
    ...createRequestApprovalActivities({ ...steps, ...records, recordReleaseChanges: changesRecorder }),
    ...createOpsRepoPollActivities(withGit),
    ...health,
    ...records,
    ...createRecordedStateActivities(deps),
    ...createClusterWatchActivities(deps),
    ...createNotifyActivities(deps),
  };
}
