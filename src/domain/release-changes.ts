// What a release's apply did, as its history row keeps it: every object with what the apply did to
// it, and the managed fields it changed, bounded like a preview's diff so that a render of
// thousands of objects stays one readable row. Plain data and pure functions.
import { boundPreviewDiffs, type PreviewedObject } from './release-preview.js';

export interface ReleaseChanges {
  /** every object the apply created, configured, left unchanged or pruned, in its order */
  objects: PreviewedObject[];
  /** field changes left out past MAX_PREVIEW_FIELD_CHANGES (every object is still listed) */
  omittedFieldChanges: number;
}

/** The change set of an apply (or a dry run) with its field changes bounded, and nothing else of its entries. */
export function releaseChanges(applied: readonly PreviewedObject[]): ReleaseChanges {
  const { objects, omitted } = boundPreviewDiffs(applied.map(({ ref, action, diff }) => (diff ? { ref, action, diff } : { ref, action })));
  return { objects, omittedFieldChanges: omitted };
}

/**
 * Whether `changes` may replace the change set a release's row already holds. A retried apply finds
 * what the first attempt applied already in place and reports it unchanged: that must not wipe out
 * the first attempt's record. A retry that did change something (the first stopped partway) is the
 * newer account and replaces it.
 */
export function replacesRecordedChanges(changes: ReleaseChanges): boolean {
  return changes.objects.some((object) => object.action !== 'unchanged');
}
