// The workflows the worker bundles.
export { environmentWorkflow } from './environment.js';
export { opsRepoPollerWorkflow } from './ops-repo-poller.js';
export { clusterWatcherWorkflow } from './cluster-watcher.js';
export { previewWorkflow } from './preview.js';
export { notificationWorkflow } from './notification.js';
