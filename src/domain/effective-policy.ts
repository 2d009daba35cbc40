// The policy an environment runs under, from where its parts are kept: the defaults, the
// environment's own settings over them, its project's freeze windows after its own, and whether
// anyone subscribed to its notifications. Pure: the loader (src/db/effective-policy.ts) reads the
// parts, and every reader (the workflow's loads, its recorded state, the API) gets the same answer.
import type { FreezeWindow } from './freeze-windows.js';
import type { EnvironmentPolicy } from './vocabulary.js';

export interface PolicySources {
  /** the deployer's defaults (configuration) */
  defaults: EnvironmentPolicy;
  /** what the environment's registration set */
  environment: Partial<EnvironmentPolicy>;
  /** its project's freeze windows */
  projectWindows: readonly FreezeWindow[];
  /** whether a subscription covers the environment (its own or its project's) */
  notifications: boolean;
}

/**
 * The effective policy. Freeze windows and notifications are always spelled out (an empty list,
 * false), so a policy sent to a running workflow replaces what it had, however it is merged.
 */
export function effectivePolicy({ defaults, environment, projectWindows, notifications }: PolicySources): EnvironmentPolicy {
  // `notifications` is never registered: only the subscriptions say it.
  const { notifications: _stored, ...own } = environment;
  return { ...defaults, ...own, freezeWindows: [...(own.freezeWindows ?? []), ...projectWindows], notifications };
}
