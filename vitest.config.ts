import { defineConfig } from 'vitest/config';

// Kinds of tests: `unit` needs no service and runs in seconds (`npm run test:unit`); `stack`
// runs on the local stack (Temporal, Kubernetes, PostgreSQL), which its global set-up brings up,
// including the quick fault tests; `faults` is every fault test, the slow ones (`*.slow.test.ts`,
// which restart the control plane) too (`npm run test:faults`). `npm test` runs unit, then stack.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', 'test/**/*.slow.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Integration tests share one Temporal server, cluster and database: files run one at a time.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
