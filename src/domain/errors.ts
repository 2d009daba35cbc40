// Errors of the domain, as plain classes: the layers below activities throw these, and one
// activity interceptor turns them into Temporal failures (non-retryable unless marked retryable),
// so git, render, k8s and db code never depends on Temporal.

/** An error whose `type` names what went wrong, for people, metrics and retry policies. */
export class DeployerError extends Error {
  constructor(
    /** stable name of the failure, e.g. TemplateTimeout; becomes the Temporal failure type */
    readonly type: string,
    message: string,
    /** true when trying again may succeed (an outage); user errors are never retried */
    readonly retryable = false,
    /** structured facts for callers (the conflicting managers, the violations); become failure details */
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = type;
  }
}

/** A template failed to render: syntax, an undefined value, a missing include. */
export const TemplateError = 'TemplateError';
/** A template reached for something outside its sandbox (a forbidden member, a file outside the repo path). */
export const TemplateForbidden = 'TemplateForbidden';
/** A template used more CPU time than a render may. */
export const TemplateTimeout = 'TemplateTimeout';
/** A template produced more output than a manifest may hold, while rendering or after alias expansion. */
export const TemplateTooLarge = 'TemplateTooLarge';
/** A template used more memory than its isolate may. */
export const TemplateMemory = 'TemplateMemory';
/** The merged values do not match the ops repo's values.schema.json. */
export const ValuesInvalid = 'ValuesInvalid';
/** The rendered text is not a list of Kubernetes objects. */
export const InvalidManifest = 'InvalidManifest';
/** No environment is registered under the name a request or a pass used. */
export const EnvironmentNotFound = 'EnvironmentNotFound';
/** A path names something that does not exist or leaves the repository path. */
export const InvalidPath = 'InvalidPath';

/** A user error (never retried): `message` first, as the activities' failures always read. */
export function userError(message: string, type: string, ...details: unknown[]): DeployerError {
  return new DeployerError(type, message, false, details.length > 0 ? details : undefined);
}

/** A service the deployer depends on, as named in outage errors. */
export type Dependency = 'PostgreSQL' | 'Kubernetes' | 'git';

/** The failure type of an outage of each dependency once it outlasted a step's budget. */
export const unavailableType: Record<Dependency, string> = {
  PostgreSQL: 'PostgresUnavailable',
  Kubernetes: 'KubernetesUnavailable',
  git: 'GitUnavailable',
};

const unreachableType: Record<Dependency, string> = {
  PostgreSQL: 'PostgresUnreachable',
  Kubernetes: 'KubernetesUnreachable',
  git: 'GitUnreachable',
};

/**
 * A dependency did not answer (connection refused or reset, a timeout, 5xx/429): not the request's
 * fault, and likely to pass, so retryable. Steps wait it out until their outage budget is spent
 * and only then fail, with the dependency's `unavailableType`.
 */
export class DependencyUnreachable extends DeployerError {
  constructor(
    readonly dependency: Dependency,
    message: string,
  ) {
    super(unreachableType[dependency], message, true);
  }
}
