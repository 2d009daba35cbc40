// What a release's history row keeps of its apply: every object, the field changes bounded, and the
// rule by which a retried apply's account replaces an earlier one's.
import { describe, expect, it } from 'vitest';
import { releaseChanges, replacesRecordedChanges } from '../../src/domain/release-changes.js';
import type { ChangeAction } from '../../src/domain/vocabulary.js';

const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'shop' });

describe('releaseChanges', () => {
  it('keeps every object with its action and diff, nothing else of an entry, and counts the field changes it leaves out', () => {
    const applied = [
      { ref: ref('unchanged'), action: 'unchanged' as const, result: { kind: 'ConfigMap' } },
      { ref: ref('a'), action: 'configured' as const, diff: [{ path: 'data.a', before: '1', after: '2' }] },
      ...Array.from({ length: 1_500 }, (_, i) => ({ ref: ref(`c${i}`), action: 'created' as const, diff: [{ path: 'data.x', after: 'x' }, { path: 'data.y', after: 'y' }] })),
    ];
    const { objects, omittedFieldChanges } = releaseChanges(applied);
    expect(objects).toHaveLength(1_502);
    expect(objects[0]).toEqual({ ref: ref('unchanged'), action: 'unchanged' });
    expect(objects[1]).toEqual({ ref: ref('a'), action: 'configured', diff: [{ path: 'data.a', before: '1', after: '2' }] });
    expect(objects.flatMap((o) => o.diff ?? [])).toHaveLength(2_000);
    expect(omittedFieldChanges).toBe(1 + 3_000 - 2_000);
    expect(objects.at(-1)).toEqual({ ref: ref('c1499'), action: 'created' });
  });
});

describe('replacesRecordedChanges', () => {
  const of = (...actions: ChangeAction[]) => ({ objects: actions.map((action, i) => ({ ref: ref(`o${i}`), action })), omittedFieldChanges: 0 });

  it('lets a retried apply that found everything in place keep the first attempt\'s account, and one that changed something replace it', () => {
    expect(replacesRecordedChanges(of('unchanged', 'unchanged'))).toBe(false);
    expect(replacesRecordedChanges(of())).toBe(false);
    expect(replacesRecordedChanges(of('unchanged', 'configured'))).toBe(true);
    expect(replacesRecordedChanges(of('pruned'))).toBe(true);
  });
});
