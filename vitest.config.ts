import { defineConfig } from 'vitest/config';

// Two kinds of tests: `unit` needs no service and runs in seconds (`npm run test:unit`); `stack`
// runs on the local stack (Temporal, Kubernetes, PostgreSQL), which its global set-up brings up.
// `npm test` runs unit first, then stack.
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
          exclude: ['test/unit/**'],
          globalSetup: ['test/support/global-setup.ts'],
          // Integration tests share one Temporal server, cluster and database: files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
