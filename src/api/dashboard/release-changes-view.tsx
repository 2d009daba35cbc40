// What a release changes (or, waiting for approval, would change), object by object with the
// managed fields that change, in the same words as the CLI's `diff` and `history --diff` (the
// domain's describe functions). Its own component so every place that shows a release's changes
// (the approval, the history) shows them alike.
import type { ReleaseChanges } from '../../domain/release-changes.js';
import { describeChangeCounts, describeChangedObject, describeFieldChange, describeOmittedFieldChanges } from '../../domain/release-preview.js';

export function ReleaseChangesView(props: { changes: ReleaseChanges; label?: string }) {
  const { objects, omittedFieldChanges } = props.changes;
  return (
    <div class="release-changes">
      <p>{`${props.label ?? 'Changes'}: ${describeChangeCounts(objects)}`}</p>
      {objects.length > 0 && (
        <ul class="changed-objects">
          {objects.map((object) => (
            <li class={`change-${object.action}`}>
              <code>{describeChangedObject(object)}</code>
              {object.diff && object.diff.length > 0 && (
                <ul class="field-changes">
                  {object.diff.map((change) => (
                    <li>
                      <code>{describeFieldChange(change)}</code>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
      {omittedFieldChanges > 0 && <p class="muted">{describeOmittedFieldChanges(omittedFieldChanges)}</p>}
    </div>
  );
}
