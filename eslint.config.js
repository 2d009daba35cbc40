// Guard rails `npm test` enforces (`npm run lint`): promises are awaited or handed on, workflow
// code stays deterministic (no Node built-ins, no I/O packages), and layers point one way:
// domain ← manifest ← git / render / k8s / db ← activities ← workflows; the API, CLI and SDK sit on the
// domain and the client; worker/ wires activities and workflows into the worker process.
import tseslint from 'typescript-eslint';

/** Node's built-in modules, with and without the `node:` prefix. */
const nodeBuiltins = [
  'assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url',
  'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
/** Packages that do I/O or need Node: never in workflow code. */
const ioPackages = ['pg', 'simple-git', '@kubernetes/client-node', 'undici', 'isolated-vm', 'pino', 'prom-client', 'hono', '@hono/*'];
const temporalOutsideWorkflows = ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'];

const restrict = (message, patterns, options = {}) => ({ group: patterns, message, ...options });

/** Everything in src/ sits below the activities and the worker process that wires them in. */
const belowActivities = restrict(
  'src/ sits below the activities and the worker (worker/ is the composition root that wires activities and workflows together).',
  ['**/activities/**', '**/worker/*', '!**/src/worker/*'],
);

/** What the files of one layer may not import (gitignore-style patterns of import paths). */
const layer = (files, ...groups) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: groups }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'test/replay/histories/**', 'test/replay/coverage/**/*.json', 'docs/**'] },
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // A promise nobody awaits loses its error and its ordering: await it, return it, or `void` it on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  layer(
    ['workflows/**/*.ts'],
    restrict('Workflow code is deterministic and sandboxed: no Node built-ins or I/O. Do it in an activity.', [
      ...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`), ...ioPackages,
    ]),
    restrict('Workflows use @temporalio/workflow (and @temporalio/common); clients, workers and activities live outside.', temporalOutsideWorkflows),
    restrict('Workflow code imports activity code only as types; activities/types.ts is the contract.', ['../activities/*', '!../activities/types.js'], { allowTypeImports: true }),
  ),
  layer(['src/**/*.{ts,tsx}'], belowActivities),
  layer(
    ['src/domain/**/*.ts'],
    restrict('The domain is plain types, rules and errors: it imports nothing but itself.', [
      '../*/**', '!../domain/**', '../../**', '@temporalio/*', ...ioPackages,
    ]),
    belowActivities,
  ),
  layer(
    ['src/manifest/**/*.ts'],
    restrict('A manifest is parsed on the domain alone: git, render, k8s and db build on it, not it on them.', [
      '../git/**', '../render/**', '../k8s/**', '../db/**', '../../activities/**', '../../workflows/**', '@temporalio/*', ...ioPackages,
    ]),
    belowActivities,
  ),
  layer(
    ['src/git/**/*.ts', 'src/render/**/*.ts', 'src/k8s/**/*.ts', 'src/db/**/*.ts'],
    restrict('git, render, k8s and db sit below the activities: they import the domain and each other, never Temporal or what is built on them.', [
      '../../activities/**', '../../workflows/**', '../api/**', '../cli/**', '../client/**', '../system/**', '@temporalio/*',
    ]),
    belowActivities,
  ),
  layer(
    ['activities/**/*.ts'],
    restrict('Activities never import workflow code.', ['../workflows/**']),
    restrict('Activities sit below the API, the CLI and the SDK.', ['../src/api/**', '../src/cli/**']),
  ),
  layer(
    ['src/api/**/*.{ts,tsx}', 'src/cli/**/*.ts', 'src/client/**/*.ts'],
    belowActivities,
  ),
);
