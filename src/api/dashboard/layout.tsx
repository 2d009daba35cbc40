// The frame of every dashboard page: the document head (the stylesheet, htmx and its SSE extension,
// all served by the API), a skip link, who is signed in, and the sign-out button.
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { Principal } from '../../auth/find-token.js';
import { htmxScript, htmxSseScript, stylesheet } from './assets.js';

// htmx would otherwise add an inline <style> for its indicators, which the page's policy refuses.
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false });

export function Layout(props: { title: string; principal?: Principal; children?: Child }) {
  const { principal } = props;
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{`${props.title} · deployer`}</title>
          <link rel="stylesheet" href={stylesheet.path} />
          <script src={htmxScript.path} defer></script>
          <script src={htmxSseScript.path} defer></script>
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <a class="brand" href="/">
              deployer
            </a>
            {principal && (
              <div class="who">
                <span>
                  signed in as <strong>{principal.name}</strong> ({principal.scopes.join(', ')}
                  {principal.project ? `; project ${principal.project}` : '; all projects'})
                </span>
                <form method="post" action="/session/delete">
                  <button type="submit">Sign out</button>
                </form>
              </div>
            )}
          </header>
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  );
}
