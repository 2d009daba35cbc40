// The dashboard's only static files, served by the API itself (no CDN): htmx and its extension for
// server-sent events from node_modules, and the stylesheet beside this file. Each path carries a digest of the content, so browsers may keep
// a file for a year and still fetch the new one the moment it changes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Handler } from 'hono';
import type { AppEnv } from '../app-env.js';
import { notFound } from '../errors.js';

interface Asset {
  /** the file's name under ASSET_DIR: its name, a digest of its content, its extension */
  name: string;
  path: string;
  body: string;
  type: string;
}

export const ASSET_DIR = '/dashboard/assets';

function asset(name: string, extension: string, body: string, type: string): Asset {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const file = `${name}-${digest}.${extension}`;
  return { name: file, path: `${ASSET_DIR}/${file}`, body, type };
}

const resolve = createRequire(import.meta.url).resolve;
const script = (name: string, file: string) => asset(name, 'min.js', readFileSync(resolve(file), 'utf8'), 'text/javascript; charset=utf-8');

export const htmxScript = script('htmx', 'htmx.org/dist/htmx.min.js');
export const htmxSseScript = script('htmx-sse', 'htmx-ext-sse/dist/sse.min.js');
export const stylesheet = asset('dashboard', 'css', readFileSync(new URL('./dashboard.css', import.meta.url), 'utf8'), 'text/css; charset=utf-8');

const byName = new Map([htmxScript, htmxSseScript, stylesheet].map((file) => [file.name, file]));

/** GET ASSET_DIR/{name}: one of the files above, by its current name; any other name is a 404. */
export const serveAsset: Handler<AppEnv> = (c) => {
  const name = c.req.param('name') ?? '';
  const file = byName.get(name);
  if (!file) throw notFound(`no dashboard asset ${name}`);
  return c.body(file.body, 200, { 'Content-Type': file.type, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' });
};
