import { describe, expect, it } from 'vitest';
import { actionBody, formFields } from '../../src/api/dashboard/action-form-input.js';
import { parseManifestDocuments } from '../../src/manifest/parse.js';
import { MAX_YAML_NESTING, tooDeepYamlLine } from '../../src/manifest/yaml-nesting.js';
import { parseValues } from '../../src/render/values.js';

const deepSequence = `a: 1\n${'- '.repeat(15_000)}1\n`;
const deepFlow = `a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
// A quote or a comment cannot hide structure from the scan: YAML reads this flow nesting whole.
const hiddenInFlow = `{a: " #", b: ${'['.repeat(5_000)}${']'.repeat(5_000)}}\n`;

describe('the nesting a YAML text may have before it is parsed', () => {
  it('lets real manifests and values through, deep CRDs and 4-space indentation included', () => {
    const nested = Array.from({ length: 30 }, (_, level) => `${'    '.repeat(level)}k${level}:`).join('\n') + ' 1\n';
    expect(tooDeepYamlLine(nested)).toBeUndefined();
    expect(tooDeepYamlLine('items:\n- - - [1, {a: [2]}]\n')).toBeUndefined();
    expect(tooDeepYamlLine(`${'['.repeat(MAX_YAML_NESTING)}${']'.repeat(MAX_YAML_NESTING)}`)).toBeUndefined();
  });

  it('names the line where it may go deeper than the limit', () => {
    expect(tooDeepYamlLine(deepSequence)).toBe(2);
    expect(tooDeepYamlLine(deepFlow)).toBe(1);
    expect(tooDeepYamlLine(hiddenInFlow)).toBe(1);
    expect(tooDeepYamlLine(`${'['.repeat(MAX_YAML_NESTING + 1)}`)).toBe(1);
    expect(tooDeepYamlLine(`ok: 1\n${' '.repeat(MAX_YAML_NESTING + 1)}x: 1\n`)).toBe(2);
  });

  // Each refused one after another in one process: before the scan, the second deep text to reach
  // the parser could end the process (V8 compiling a regular expression on an exhausted stack).
  it('refuses such text in values files, rendered manifests and the dashboard values field, naming the file and line', () => {
    for (const text of [deepFlow, deepSequence, hiddenInFlow]) {
      expect(() => parseValues(text, 'values.yaml')).toThrow(/^values\.yaml line [12]: invalid YAML: nested deeper than 256 levels$/);
      expect(() => parseManifestDocuments(text, 'app.yaml.njk')).toThrow(/^app\.yaml\.njk: rendered line [12] is not valid YAML: nested deeper than 256 levels$/);
      let refusal: unknown;
      try {
        actionBody('deploy', formFields('deploy', { image_ref: 'registry.example/web:1', reason: 'x', values_override: text }));
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({ status: 400, extra: { details: [{ field: 'values_override', message: expect.stringMatching(/^values_override: line [12] nests deeper than 256 levels$/) }] } });
    }
  });
});
