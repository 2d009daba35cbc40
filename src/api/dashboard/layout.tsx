// The frame of every dashboard page: the document head (the stylesheet, htmx and its SSE extension,
// all served by the API), a skip link, who is signed in, and the sign-out button.
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { Principal } from '../../auth/find-token.js';
import { htmxScript, htmxSseScript, stylesheet } from './assets.js';

// htmx would otherwise add an inline <style> for its indicators, which the page's policy refuses.
// It swaps only 2xx answers by default: an action's refusal (400 a bad field, 409 a conflict, 503
// no worker took it in time) is the form again with why, and keeps its status.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '400|409|503', swap: true, error: false },
    { code: '[45]..', swap: false, error: true },
    { code: '...', swap: false },
  ],
});

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
