// Where the browser goes after signing in: back to the page it asked for, carried through the
// sign-in form in a hidden field. Whatever comes back in that field is the client's to forge, so
// only a path of this origin is followed; anything else (another host, a scheme, a path a browser
// would read as another host) sends the user to the fleet instead of off-site.

export const FLEET_PATH = '/';

/** Longer than any page of the dashboard with its filters; a longer value is not one of ours. */
const MAX_LENGTH = 2048;

/**
 * `value` when it is a path of this origin (`/projects/p/environments/e?x=1`), else `/`.
 * Refused: `//host` and `/\host` (browsers read both as another host), any backslash, control
 * characters and spaces (browsers drop tabs and newlines, so `/\t/host` would become `//host`).
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return FLEET_PATH;
  if (value[0] !== '/' || value[1] === '/' || value.includes('\\')) return FLEET_PATH;
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f) return FLEET_PATH;
  }
  // The browser's own reading must agree: resolved against an origin, it stays on that origin.
  const base = 'http://dashboard.invalid';
  let resolved: URL;
  try {
    resolved = new URL(value, base);
  } catch {
    return FLEET_PATH;
  }
  return resolved.origin === base ? value : FLEET_PATH;
}

/** The path and query of a request, which a GET for a page asks to come back to. */
export function requestedPath(url: string): string {
  const { pathname, search } = new URL(url);
  return safeReturnPath(`${pathname}${search}`);
}
