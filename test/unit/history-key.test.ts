import { describe, expect, it } from 'vitest';
import { historyKey, runIdOfHistoryKey } from '../../src/domain/history-key.js';

const RUN = '0195f3c2-7b1e-7c4a-9d2e-5a6b7c8d9e0f';

describe("a history row's key", () => {
  it('names the run that wrote the row, whatever slashes the workflow ID has', () => {
    expect(historyKey('deploy/shop/prod', RUN, 7)).toBe(`deploy/shop/prod/${RUN}/7`);
    expect(runIdOfHistoryKey(historyKey('deploy/shop/prod', RUN, 7))).toBe(RUN);
  });

  it('names no run when the key was written another way', () => {
    for (const key of ['', 'drift', 'shop/prod/drift', `${RUN}`, `deploy/shop/prod/not-a-run/3`, `deploy/shop/prod/${RUN}x/3`, `"><script>/${RUN.slice(1)}/1`]) {
      expect(runIdOfHistoryKey(key)).toBeUndefined();
    }
  });
});
