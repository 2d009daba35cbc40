// Tells an environment's running workflow the policy it now runs under: a plain signal, never a
// start. An environment without a running workflow loads its policy when its next request starts
// one, so there is nothing to tell.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { EnvironmentPolicy, EnvironmentRef } from '../domain/vocabulary.js';
import { environmentWorkflowId, policySignal } from '../../workflows/messages.js';

/** True when the workflow got the signal; false when none runs. Other failures (Temporal unreachable, past `deadlineMs`) throw. */
export async function signalPolicyIfRunning(client: Client, { project, environment }: EnvironmentRef, policy: EnvironmentPolicy, deadlineMs: number): Promise<boolean> {
  try {
    await client.withDeadline(deadlineMs, () => client.workflow.getHandle(environmentWorkflowId(project, environment)).signal(policySignal, policy));
    return true;
  } catch (error) {
    // Also what Temporal answers for a workflow that ended.
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
