// The demo fleet of test/support/dashboard-fleet.ts on the test stack, with the suite's shared
// workflow bundle: what the browser tests that need a deployed fleet start from.
import { workflowBundle } from '../workflow/harness.js';
import { startDashboardFleet, type DashboardFleet } from './dashboard-fleet.js';
import { testEnv } from './env.js';

export async function startTestDashboardFleet(prefix: string): Promise<DashboardFleet> {
  return await startDashboardFleet({
    prefix,
    databaseUrl: testEnv.databaseUrl,
    temporalAddress: testEnv.temporalAddress,
    temporalNamespace: testEnv.temporalNamespace,
    kubeconfig: testEnv.kubeconfig,
    workflowBundle: await workflowBundle(),
  });
}
