import { describe, expect, it } from 'vitest';
import { canonicalJson, sameJson } from '../../src/domain/canonical-json.js';

describe('canonicalJson', () => {
  it('writes every object with its keys sorted, at any depth, and keeps list order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('tells values apart by content only', () => {
    expect(sameJson({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameJson({}, { a: undefined })).toBe(true);
  });
});
