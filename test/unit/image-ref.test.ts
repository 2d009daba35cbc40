// The image reference rule on its own: what passes and why the rest does not.
import { describe, expect, it } from 'vitest';
import { imageRefProblem } from '../../src/domain/image-ref.js';

const digest = `sha256:${'a1'.repeat(32)}`;

describe('imageRefProblem', () => {
  it.each([
    'web',
    'web:1.2.3',
    'team/web:latest',
    'registry.example.com/team/sub/web:2024-01-01_3',
    'registry.example.com:5000/web:1',
    'localhost:5000/web:1',
    `web@${digest}`,
    `ghcr.io/org/web:1.0@${digest}`,
    'a__b/c-d.e/f---g:V1',
  ])('accepts %s', (ref) => {
    expect(imageRefProblem(ref)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['web: 1', /whitespace/],
    ['Registry.Example.com/web:1', /registry host .* lower case/],
    ['REGISTRY:5000/web:1', /registry host .* lower case/],
    ['team/Web:1', /lower case/],
    ['registry.example.com:50a/web:1', /port/],
    ['-bad.example.com/web:1', /host name/],
    ['team//web:1', /empty path component/],
    ['web:-1', /tag/],
    ['web:', /tag/],
    [`web@sha256:${'A1'.repeat(32)}`, /digest/],
    ['web@sha256:abc', /digest/],
    ['we..b:1', /path component/],
    [`web:${'1'.repeat(252)}`, /at most 255/],
  ])('refuses %j', (ref, why) => {
    expect(imageRefProblem(ref)).toMatch(why);
  });
});
