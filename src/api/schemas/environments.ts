// The body of an environment registration.
import { z } from '@hono/zod-openapi';
import { validateRepoPath } from '../../git/validate.js';
import { gitRule } from '../validation/git-fields.js';
import { parseDuration } from '../../domain/freeze-windows.js';
import { secrets, slug, valuesOverride } from './common.js';
import { freezeWindowList, freezeWindowState } from './freeze-windows.js';

const DAY_MS = 24 * 60 * 60_000;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const KIND = /^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Z][A-Za-z0-9]{0,62}$/;
const milliseconds = (min: number, max: number) => z.number().int().min(min).max(max);
/** An approval not given within a month is not coming; a request that old is stale anyway. */
export const MAX_APPROVAL_EXPIRY_MS = 30 * DAY_MS;
/** The one group of approvers there is: tokens with the deploy:approve scope (and admin). */
const APPROVERS = 'deploy:approve';

const approvalBody = z
  .strictObject({
    required: z.boolean().openapi({ description: 'every deploy and rollback waits until someone with the deploy:approve scope approves it' }),
    expires_after: z
      .union([z.string(), z.number().int()], { error: 'must be a duration such as "24h" or "1h30m", or a number of milliseconds' })
      .superRefine((value, ctx) => {
        const parsed = parseDuration(value, MAX_APPROVAL_EXPIRY_MS);
        if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      })
      .openapi({ description: 'a request not approved within this is refused as expired: "24h", "90m", "2d", "1h30m" or milliseconds, from 1 minute to 30 days', example: '24h' }),
    allow_self_approval: z.boolean().optional().openapi({ description: 'whether whoever asked for a release may approve it themselves (default false)' }),
    approvers: z
      .literal(APPROVERS, { error: `must be "${APPROVERS}": approvals come from tokens with that scope (or admin), the only approvers there are` })
      .optional()
      .openapi({ description: 'who may approve: tokens with the deploy:approve scope (or admin); documents it, no other value is allowed' }),
  })
  .openapi('ApprovalPolicy');

export const policyBody = z
  .strictObject({
    min_interval_ms: milliseconds(0, DAY_MS).optional().openapi({ description: 'a deployment starts no sooner than this after the previous one' }),
    drift_interval_ms: milliseconds(1_000, 7 * DAY_MS).optional().openapi({ description: 'idle time after which the desired release is re-applied' }),
    health_timeout_ms: milliseconds(1_000, DAY_MS).optional().openapi({ description: 'how long a rollout may take before it fails' }),
    auto_rollback: z.boolean().optional(),
    force_conflicts: z.boolean().optional(),
    has_autoscaler: z.boolean().optional().openapi({ description: 'leave spec.replicas to an autoscaler' }),
    approval: approvalBody.optional().openapi({ description: 'an approval gate: deploys and rollbacks wait for someone with the deploy:approve scope' }),
    freeze_windows: freezeWindowList('policy.freeze_windows')
      .optional()
      .openapi({ description: "when deploys wait (the project's windows apply as well); an override_freeze deploy by an admin passes" }),
  })
  .openapi('EnvironmentPolicy');

/** The policy an environment runs under, as reads show it: its settings over the defaults, with its project's windows. */
export const effectivePolicyState = z
  .object({
    min_interval_ms: z.number().int(),
    drift_interval_ms: z.number().int(),
    health_timeout_ms: z.number().int(),
    auto_rollback: z.boolean(),
    force_conflicts: z.boolean(),
    has_autoscaler: z.boolean(),
    approval: z
      .object({
        required: z.boolean(),
        expires_after: z.union([z.string(), z.number()]).openapi({ description: 'as "1d" or "1h30m" (milliseconds when not whole minutes)', example: '1d' }),
        allow_self_approval: z.boolean(),
        approvers: z.literal(APPROVERS),
      })
      .nullable()
      .openapi({ description: 'null: no approval gate' }),
    freeze_windows: z
      .array(freezeWindowState.extend({ source: z.enum(['environment', 'project']).openapi({ description: "the environment's own window, or its project's" }) }))
      .openapi({ description: "the environment's windows, then its project's" }),
    notifications: z.boolean().openapi({ description: 'whether a notification subscription covers the environment (its own or its project\'s): set from the subscriptions, not registered' }),
  })
  .openapi('EffectivePolicy');

export const environmentBody = z
  .strictObject({
    ops_repo: z
      .union([z.number().int().positive(), z.string().min(1).max(255)])
      .openapi({ description: 'the ops repo, by id or by name', example: 'shop-ops' }),
    manifest_path: z
      .string()
      .superRefine(gitRule((value) => validateRepoPath('manifest_path', value, { allowRoot: false })))
      .openapi({ description: 'the template, relative to the ops repo path', example: 'app.yaml.njk' }),
    namespace: slug('shop-prod').openapi({ description: 'the Kubernetes namespace the environment deploys to' }),
    policy: policyBody.optional().openapi({ description: 'settings over the defaults; omitted ones follow the defaults' }),
    values_override: valuesOverride.optional(),
    secrets: secrets.optional().openapi({
      description: 'write-only: sets (a value) or deletes (null) secrets; names left out keep their stored value, so re-registering never needs them again',
    }),
    share_namespace: z
      .boolean()
      .optional()
      .openapi({ description: 'let other environments of the same project use the namespace too (default false); another project never can' }),
    impersonate: z
      .strictObject({
        service_account: z.string().regex(DNS_SUBDOMAIN, 'must be a service account name: lower-case letters, digits, "-" and "."').max(253),
        namespace: slug('shop-prod'),
      })
      .optional()
      .openapi({
        description:
          "apply, prune, scale and watch as this service account (Kubernetes impersonation), so the cluster's RBAC is the last line; it must live in the environment's namespace",
      }),
  })
  .superRefine((body, ctx) => {
    // A service account elsewhere (kube-system's, another team's) would lend this environment
    // powers its namespace's administrator never granted it.
    if (body.impersonate && body.impersonate.namespace !== body.namespace) {
      ctx.addIssue({ code: 'custom', path: ['impersonate', 'namespace'], message: `must be the environment's namespace (${body.namespace})` });
    }
  })
  .openapi('EnvironmentRequest');

/** A project's policy: what its environments may touch. Absent fields take the defaults. */
export const projectPolicyBody = z
  .strictObject({
    allowed_namespaces: z
      .array(slug('shop-prod'))
      .max(100)
      .optional()
      .openapi({ description: "namespaces objects may go to; default: each environment's own" }),
    allowed_cluster_kinds: z
      .array(z.string().regex(KIND, 'must be "Kind" or "group/Kind", e.g. "scheduling.k8s.io/PriorityClass"'))
      .max(100)
      .optional()
      .openapi({ description: "cluster-scoped kinds allowed; default none (an environment's own Namespace is always allowed)" }),
    denied_namespaced_kinds: z
      .array(z.string().regex(KIND, 'must be "Kind" or "group/Kind", e.g. "rbac.authorization.k8s.io/RoleBinding"'))
      .max(100)
      .optional()
      .openapi({ description: 'namespaced kinds refused' }),
    allow_cluster_rbac: z
      .boolean()
      .optional()
      .openapi({ description: 'allow ClusterRoles, ClusterRoleBindings, webhooks, CRDs and API services (default false)' }),
    freeze_windows: freezeWindowList('freeze_windows')
      .optional()
      .openapi({ description: "when deploys wait in every environment of the project, after each environment's own windows" }),
  })
  .openapi('ProjectPolicy');
