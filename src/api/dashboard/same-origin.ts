// The dashboard's forms change state (a session today, deployments later), so each post must come
// from the dashboard's own pages. The session cookie is SameSite=Strict already; on top of that,
// Hono's CSRF guard refuses a form post whose Origin (or Sec-Fetch-Site) says another site sent it,
// which also covers a browser that ignores SameSite and a forged sign-in into someone else's session.
import { csrf } from 'hono/csrf';

export const sameOriginForms = csrf();
