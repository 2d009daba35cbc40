// Every dashboard page leaves through here, with the headers that keep it to itself: scripts and
// styles only from this origin (the page has no inline script an injection could join), forms
// only to this origin, no framing, and no copy kept in a cache after the user signs out.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function page(c: Context, html: string | Promise<string>, status: ContentfulStatusCode = 200): Response | Promise<Response> {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Content-Type-Options', 'nosniff');
  return c.html(html, status);
}
