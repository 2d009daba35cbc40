// The dashboard's only static files, served by the API itself (no CDN): htmx from node_modules and
// the stylesheet beside this file. Each path carries a digest of the content, so browsers may keep
// a file for a year and still fetch the new one the moment it changes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Handler } from 'hono';
import type { AppEnv } from '../app-env.js';

interface Asset {
  path: string;
  body: string;
  type: string;
}

function asset(name: string, extension: string, body: string, type: string): Asset {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/dashboard/assets/${name}-${digest}.${extension}`, body, type };
}

const htmxFile = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');

export const htmxScript = asset('htmx', 'min.js', readFileSync(htmxFile, 'utf8'), 'text/javascript; charset=utf-8');
export const stylesheet = asset('dashboard', 'css', readFileSync(new URL('./dashboard.css', import.meta.url), 'utf8'), 'text/css; charset=utf-8');

export function serveAsset({ body, type }: Asset): Handler<AppEnv> {
  return (c) => c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' });
}
