// A release preview: what deploying an image (with values) to an environment would change, asked
// of the API server with a dry-run apply and changing nothing. Plain data: the worker makes it, the
// API, the SDK and the CLI show it.
import type { ChangeAction, EnvironmentRef, FieldChange, ObjectRef } from './vocabulary.js';

export interface ReleasePreviewRequest extends EnvironmentRef {
  imageRef: string;
  /** merged over the environment's values for this release only, as a deploy's */
  valuesOverride?: Record<string, unknown>;
}

export interface PreviewedObject {
  ref: ObjectRef;
  action: ChangeAction;
  /** the fields the environment manages that would change (created objects: every one it would set) */
  diff?: FieldChange[];
}

export interface ReleasePreview {
  imageRef: string;
  /** the ops repo commit it rendered: the branch head a deploy now would render */
  opsSha: string;
  manifestHash: string;
  objects: PreviewedObject[];
  /** objects per action */
  summary: Record<ChangeAction, number>;
  /** field changes left out past MAX_PREVIEW_FIELD_CHANGES (a render of thousands of objects) */
  omittedFieldChanges?: number;
}

/** What a gated request's preview tells the workflow: the counts; the diff stays in its history row. */
export type ApprovalPreview = Pick<ReleasePreview, 'opsSha' | 'manifestHash' | 'summary' | 'omittedFieldChanges'>;

/** Field changes a preview lists in all: it travels through Temporal, whose payloads are bounded. */
export const MAX_PREVIEW_FIELD_CHANGES = 2_000;

/** `objects` with their diffs cut to `limit` field changes in all, in order, and how many were left out. */
export function boundPreviewDiffs(objects: readonly PreviewedObject[], limit = MAX_PREVIEW_FIELD_CHANGES): { objects: PreviewedObject[]; omitted: number } {
  let left = limit;
  let omitted = 0;
  const bounded = objects.map((object) => {
    if (!object.diff) return object;
    const kept = object.diff.slice(0, Math.max(0, left));
    omitted += object.diff.length - kept.length;
    left -= kept.length;
    return kept.length > 0 ? { ...object, diff: kept } : { ref: object.ref, action: object.action };
  });
  return { objects: bounded, omitted };
}

/** A preview runs as a short workflow of its own; one id per request, so previews never collide. */
export function previewWorkflowId(ref: EnvironmentRef, requestId: string): string {
  return `preview/${ref.project}/${ref.environment}/${requestId}`;
}

export function previewSummary(objects: readonly { action: ChangeAction }[]): Record<ChangeAction, number> {
  const summary: Record<ChangeAction, number> = { created: 0, configured: 0, unchanged: 0, pruned: 0 };
  for (const { action } of objects) summary[action] += 1;
  return summary;
}

/** "1 configured, 2 unchanged": the objects per action, actions with none left out. */
export function describeChangeCounts(objects: readonly { action: ChangeAction }[]): string {
  return describeSummary(previewSummary(objects));
}

/** Objects per action as a line: "1 configured, 2 unchanged". */
export function describeSummary(summary: Record<ChangeAction, number>): string {
  const counts = (Object.entries(summary) as Array<[ChangeAction, number]>).filter(([, n]) => n > 0).map(([action, n]) => `${n} ${action}`);
  return counts.join(', ') || 'no objects';
}

const ACTION_MARK: Record<ChangeAction, string> = { created: '+', configured: '~', unchanged: '=', pruned: '-' };

/** "~ Deployment shop/web (configured)": one object of a change set, the mark first so a column of them reads at a glance. */
export function describeChangedObject(object: Pick<PreviewedObject, 'ref' | 'action'>): string {
  const { ref, action } = object;
  return `${ACTION_MARK[action]} ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}${action === 'unchanged' ? '' : ` (${action})`}`;
}

/** "spec.replicas: 1 → 3": one managed field's change, values as JSON, "(unset)" where the field is absent. */
export function describeFieldChange(change: FieldChange): string {
  const before = 'before' in change ? JSON.stringify(change.before) : '(unset)';
  const after = 'after' in change ? JSON.stringify(change.after) : '(unset)';
  return `${change.path}: ${before} → ${after}`;
}

/** The note under a change set whose field changes were cut (MAX_PREVIEW_FIELD_CHANGES). */
export function describeOmittedFieldChanges(omitted: number): string {
  return `(${omitted} more field changes not shown)`;
}
