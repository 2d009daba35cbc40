// Webpack loader for the replay coverage check: instruments a workflow source with istanbul
// before swc compiles it, so every counter maps to a line of the TypeScript file itself.
// CommonJS because webpack loads loaders with Node's own require, outside vitest's transform.
const { createInstrumenter } = require('istanbul-lib-instrument');

const instrumenter = createInstrumenter({
  // Read by coverage-interceptor.ts inside the workflow sandbox.
  coverageVariable: '__workflowCoverage__',
  // The sandbox's global, found without `new Function`.
  coverageGlobalScope: 'globalThis',
  coverageGlobalScopeFunc: false,
  esModules: true,
  compact: false,
  // Babel parses today's JavaScript by default; TypeScript it must be told.
  parserPlugins: ['typescript'],
});

module.exports = function instrumentWorkflowSource(source) {
  return instrumenter.instrumentSync(source, this.resourcePath);
};
