// The workflows the worker bundles.
export { environmentWorkflow } from './environment.js';
export { clusterWatcherWorkflow } from './cluster-watcher.js';
