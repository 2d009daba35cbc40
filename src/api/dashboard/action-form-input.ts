// A dashboard form's fields as the body its API route takes, validated by the API's own schemas, so
// a form and a JSON request are refused for the same reasons in the same words. The inputs are
// named after the API's fields (image_ref, values_override, reason, to_release, request_id), so a
// field error finds its input by name.
import type { z } from '@hono/zod-openapi';
import { parse as parseYaml } from 'yaml';
import { MAX_YAML_NESTING, tooDeepYamlLine } from '../../manifest/yaml-nesting.js';
import { invalidRequest, type FieldIssue } from '../errors.js';
import { approvalBody, patchDeploymentBody, reasonBody, rollbackBody } from '../schemas/deployments.js';
import { fieldIssues } from '../validation/zod-issues.js';
import type { ActionName } from './action-names.js';

/** What the user typed, as the form posted it: kept to fill the form again after a refusal. */
export type FormFields = Record<string, string>;

const SCHEMAS = { deploy: patchDeploymentBody, rollback: rollbackBody, stop: reasonBody, cancel: reasonBody, approve: approvalBody, reject: approvalBody } as const;

type Schemas = typeof SCHEMAS;
export type ActionBody<Action extends ActionName> = z.infer<Schemas[Action]>;

/** The form fields each action reads; anything else posted is ignored (htmx may add its own). */
const FIELDS: Record<ActionName, readonly string[]> = {
  deploy: ['image_ref', 'values_override', 'reason'],
  rollback: ['to_release', 'reason'],
  stop: ['reason'],
  cancel: ['reason'],
  approve: ['request_id', 'reason'],
  reject: ['request_id', 'reason'],
};

/** The posted fields an action reads, as strings (a file upload is not a value here). */
export function formFields(action: ActionName, posted: Record<string, unknown>): FormFields {
  const fields: FormFields = {};
  for (const name of FIELDS[action]) {
    const value = posted[name];
    if (typeof value === 'string') fields[name] = value;
  }
  return fields;
}

/**
 * The values text as an object: YAML, as the ops repo's values.yaml is written (JSON is YAML too,
 * so what the API and the CLI take as JSON works here as well). Blank is no override.
 */
function valuesObject(text: string | undefined): { value?: unknown; issue?: FieldIssue } {
  if (text === undefined || text.trim() === '') return {};
  const deep = tooDeepYamlLine(text);
  if (deep !== undefined) return { issue: { field: 'values_override', message: `values_override: line ${deep} nests deeper than ${MAX_YAML_NESTING} levels` } };
  try {
    return { value: parseYaml(text, { maxAliasCount: 0 }) as unknown };
  } catch (error) {
    return { issue: { field: 'values_override', message: `values_override: is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}` } };
  }
}

/** What a select's or text box's empty string means: nothing given. */
function given(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/**
 * The API body of `action` from its form, or a 400 naming each bad field (the ApiError the API
 * itself would answer). The dashboard asks for a reason on every action: the history and the
 * audit keep it, and a button is easier to press than a command to type.
 */
export function actionBody<Action extends ActionName>(action: Action, fields: FormFields): ActionBody<Action> {
  const issues: FieldIssue[] = [];
  const raw: Record<string, unknown> = {};
  const reason = given(fields.reason);
  if (reason === undefined) issues.push({ field: 'reason', message: 'reason: say why (the history and the audit log keep it)' });
  else raw.reason = reason;
  if (action === 'deploy') {
    // A blank image is the API's "missing image_ref", said as such rather than as a malformed ref.
    raw.image_ref = given(fields.image_ref);
    if (raw.image_ref === undefined) issues.push({ field: 'image_ref', message: 'image_ref: give the image to deploy, e.g. registry.example.com/team/web:1.4.2' });
    const values = valuesObject(fields.values_override);
    if (values.issue) issues.push(values.issue);
    else if (values.value !== undefined) raw.values_override = values.value;
  }
  if (action === 'rollback') {
    const target = given(fields.to_release);
    if (target !== undefined) raw.to_release = Number(target);
  }
  if (action === 'approve' || action === 'reject') raw.request_id = fields.request_id ?? '';
  const parsed = SCHEMAS[action].safeParse(raw);
  if (!parsed.success) {
    const known = new Set(issues.map((issue) => issue.field));
    issues.push(...fieldIssues(parsed.error, 'form').filter((issue) => !known.has(issue.field)));
  }
  if (issues.length > 0 || !parsed.success) throw invalidRequest(issues);
  return parsed.data as ActionBody<Action>;
}
