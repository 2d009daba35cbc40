// Every request reaches an environment's workflow by signal-with-start on the workflow ID of the
// design, so the first request creates the workflow and later ones join it (a deploy may come by
// update-with-start instead: deploy-environment.ts; both start it alike).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { EnvironmentPolicy, EnvironmentRef } from '../domain/vocabulary.js';
import { environmentWorkflow, type EnvironmentWorkflowInput } from '../../workflows/environment.js';
import { checkRequest } from '../domain/request-rules.js';
import { environmentWorkflowId, TASK_QUEUE } from '../../workflows/messages.js';
import { DeployEnvironment, DeployProject } from '../../workflows/search-attributes.js';

/** An environment to signal, with what starting its workflow needs if it does not run yet. */
export interface EnvironmentTarget extends EnvironmentRef {
  /** the environment's policy, used until the workflow loads it from the database */
  policy?: Partial<EnvironmentPolicy>;
  taskQueue?: string;
}

/** Throws InvalidRequestError when the project or environment is not a slug: no workflow id is made of it. */
export function assertEnvironmentTarget({ project, environment }: EnvironmentTarget): void {
  checkRequest({ project, environment });
}

/**
 * What an environment's workflow starts with. A client that encrypts payloads asks it to keep the
 * image ref out of its search attributes, which Temporal stores and shows unencrypted.
 */
export function environmentWorkflowInput(client: Client, { project, environment, policy }: EnvironmentTarget): EnvironmentWorkflowInput {
  const encrypts = client.options.loadedDataConverter.payloadCodecs.length > 0;
  return { project, environment, policy, ...(encrypts ? { indexImage: false } : {}) };
}

/**
 * How the environment's workflow is started when a request finds none: its id, queue, input and
 * what the Temporal UI shows of it. Signal-with-start and update-with-start start it alike.
 */
export function environmentStartOptions(client: Client, target: EnvironmentTarget) {
  const { project, environment } = target;
  return {
    workflowId: environmentWorkflowId(project, environment),
    taskQueue: target.taskQueue ?? TASK_QUEUE,
    args: [environmentWorkflowInput(client, target)] as Parameters<typeof environmentWorkflow>,
    staticSummary: `Deployments of ${project} to ${environment}`,
    staticDetails: `Long-lived deployer workflow for project **${project}**, environment **${environment}**: it runs deploy, rollback and stop requests one at a time and re-applies the desired release on a drift timer.`,
    typedSearchAttributes: [
      { key: DeployProject, value: project },
      { key: DeployEnvironment, value: environment },
    ],
  };
}

export async function signalEnvironment<Payload>(
  client: Client,
  target: EnvironmentTarget,
  signal: SignalDefinition<[Payload]>,
  payload: Payload,
): Promise<WorkflowHandle<typeof environmentWorkflow>> {
  assertEnvironmentTarget(target);
  return client.workflow.signalWithStart(environmentWorkflow, {
    ...environmentStartOptions(client, target),
    signal,
    signalArgs: [payload] as [Payload],
  });
}
