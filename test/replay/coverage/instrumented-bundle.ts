// The workflow bundle of the replay coverage check: the real workflows, their own sources
// instrumented by istanbul (workflows/*.ts only, not the SDK), plus the interceptor that hands the
// counters out of the sandbox. It issues exactly the commands the worker's bundle does.
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { installQuietRuntime } from '../../support/temporal-runtime.js';

export const workflowsDir = fileURLToPath(new URL('../../../workflows/', import.meta.url));

export function instrumentedWorkflowBundle(): Promise<WorkflowBundle> {
  installQuietRuntime();
  return bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../../workflows/index.ts', import.meta.url)),
    workflowInterceptorModules: [fileURLToPath(new URL('./coverage-interceptor.ts', import.meta.url))],
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({
      ...config,
      module: {
        ...config.module,
        rules: [
          ...(config.module?.rules ?? []),
          {
            test: /\.ts$/,
            include: workflowsDir,
            // Before swc strips the types: counters then sit on the lines of the .ts source.
            enforce: 'pre',
            use: [fileURLToPath(new URL('./istanbul-loader.cjs', import.meta.url))],
          },
        ],
      },
    }),
  });
}
