// The page the sign-in form returns to is the client's to forge: only a path of this origin is
// followed, and everything a browser could read as another site falls back to the fleet.
import { describe, expect, it } from 'vitest';
import { requestedPath, safeReturnPath } from '../../src/api/dashboard/return-path.js';

describe('safeReturnPath', () => {
  it.each(['/', '/projects/p/environments/e', '/projects/p/environments/e?x=1', '/?project=shop&status=failed', '/a/b#c', '/%2F%2Fexample.com', '/projects/p%20q'])(
    'keeps the path of this origin %s',
    (path) => {
      expect(safeReturnPath(path)).toBe(path);
    },
  );

  it.each([
    ['another host, scheme-relative', '//evil.example/'],
    ['another host through a backslash', '/\\evil.example/'],
    ['a backslash later on', '/a\\b'],
    ['an absolute URL', 'https://evil.example/'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'projects/p'],
    ['a tab a browser would drop', '/\t/evil.example/'],
    ['a newline', '/\n/evil.example/'],
    ['a space', '/ /evil.example/'],
    ['a DEL', '/\u007f/x'],
    ['the empty string', ''],
    ['an overlong path', `/${'a'.repeat(2048)}`],
    ['a field sent twice (an array)', ['/a', '/b']],
    ['no field', undefined],
  ])('falls back to the fleet for %s', (_what, value) => {
    expect(safeReturnPath(value)).toBe('/');
  });
});

describe('requestedPath', () => {
  it('is the path and query of the request, without its origin', () => {
    expect(requestedPath('http://localhost:3000/projects/p/environments/e?x=1')).toBe('/projects/p/environments/e?x=1');
    expect(requestedPath('http://localhost/')).toBe('/');
  });
});
