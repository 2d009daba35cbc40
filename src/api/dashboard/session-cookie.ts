// The dashboard's session: the API token itself, in a cookie the browser keeps until it closes.
// HttpOnly, so no script on the page (nor one injected into it) can read it; SameSite=Strict, so
// no other site's page can make the browser send it; Path=/, so every dashboard page gets it;
// Secure whenever the page was served over https. No Max-Age: it ends with the browser session.
// The token stays out of URLs, and the API logs no cookies.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'deployer_session';

function options(c: Context) {
  return { path: '/', httpOnly: true, sameSite: 'Strict', secure: new URL(c.req.url).protocol === 'https:' } as const;
}

export function startSession(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, options(c));
}

export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, options(c));
}
