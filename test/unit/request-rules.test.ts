// The rules every door applies to a request, on their own: what the API, the SDK and the CLI all refuse.
import { describe, expect, it } from 'vitest';
import { checkRequest, InvalidRequestError, requestProblems } from '../../src/domain/request-rules.js';

const target = { project: 'shop', environment: 'prod' };

describe('requestProblems', () => {
  it('accepts a well-formed request', () => {
    expect(requestProblems({ ...target, imageRef: 'registry.example/shop/web:1.2.0', valuesOverride: { replicas: 2 }, reason: 'build 42', requestedBy: 'ci', requestId: 'build-42' })).toEqual([]);
  });

  it.each([
    ['nginx latest', 'must not contain whitespace'],
    ['NGINX:1', 'must be lower case'],
    ['$(id)', 'may only use lower-case letters'],
    ['web:1\nkind: Secret', 'must not contain whitespace'],
    ['', 'must not be empty'],
  ])('refuses the image %j, naming imageRef', (imageRef, why) => {
    const problems = requestProblems({ ...target, imageRef });
    expect(problems).toEqual([{ field: 'imageRef', message: expect.stringContaining(why) }]);
  });

  it('names every field at fault at once: names that are not slugs, a reason with a line break, a request id of the wrong shape, values nested too deep', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const problems = requestProblems({ project: 'Shop', environment: 'prod.', reason: 'a\nb', requestedBy: 'x'.repeat(501), requestId: '-x', valuesOverride: deep });
    expect(problems.map((p) => p.field.split('.')[0])).toEqual(['project', 'environment', 'valuesOverride', 'reason', 'requestedBy', 'requestId']);
    expect(problems[2]).toEqual({ field: `valuesOverride${'.a'.repeat(32)}`, message: 'nested deeper than 32 levels' });
  });

  it('lets a request past a freeze only with a reason, and checks who decides on an approval like who asks', () => {
    expect(requestProblems({ ...target, overrideFreeze: true })).toEqual([{ field: 'reason', message: expect.stringContaining('is required with overrideFreeze') }]);
    expect(requestProblems({ ...target, overrideFreeze: true, reason: 'incident 42' })).toEqual([]);
    expect(requestProblems({ ...target, overrideFreeze: false })).toEqual([]);
    expect(requestProblems({ ...target, overrideFreeze: 'yes' as never })).toEqual([{ field: 'overrideFreeze', message: 'must be true or false' }]);
    expect(requestProblems({ ...target, requestId: 'build-42', decidedBy: 'line\nbreak' })).toEqual([{ field: 'decidedBy', message: expect.stringContaining('without control characters') }]);
  });

  it('throws one InvalidRequestError listing them', () => {
    const error = (() => {
      try {
        checkRequest({ ...target, imageRef: 'NGINX:1', reason: '' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toMatch(/^imageRef: "NGINX:1" .*; reason: must be 1-500 characters/);
  });
});
