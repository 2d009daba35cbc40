// The workflows the worker bundles.
export { environmentWorkflow } from './environment.js';
