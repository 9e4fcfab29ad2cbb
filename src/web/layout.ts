import { html, type Html } from './html.js';
import type { Session } from './session.js';
import { staticUrl, type StaticFiles } from './static.js';

/**
 * htmx's settings (htmx.org/reference/#config), read from a meta tag so no inline script is needed: no injected
 * indicator <style> (the CSP allows no inline style), no eval (hx-on, js: values), no <script> from swapped
 * content, and requests only to this origin.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
});

export interface PageContext {
  readonly files: StaticFiles;
  readonly version: string;
  /** The signed-in user; undefined on the login page. */
  readonly session?: Session;
}

/** A whole page: the header with who is signed in and the logout form, then `body`. */
export function page(context: PageContext, title: string, body: Html): Html {
  const { files, session } = context;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content="${HTMX_CONFIG}" />
        <title>${title} · fleetboot</title>
        <link rel="stylesheet" href="${staticUrl(files, 'dashboard.css')}" />
        <script src="${staticUrl(files, 'htmx.min.js')}" defer></script>
        <script src="${staticUrl(files, 'sse.min.js')}" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/ui/machines">fleetboot</a>
          ${session && html`<a href="/ui/machines">Fleet</a>`}
          <span class="who"
            >${session && html`${session.principal.name} (${session.principal.role})`} ·
            v${context.version}</span
          >
          ${session && html`<form method="post" action="/ui/logout">${csrfField(session)}<button type="submit">Log out</button></form>`}
        </header>
        <main>${flash(session)} ${body}</main>
      </body>
    </html> `;
}

/** The hidden field every state-changing form carries (session.ts csrfMatches). */
export function csrfField(session: Session): Html {
  return html`<input type="hidden" name="csrf" value="${session.csrf}" />`;
}

/** The session's one-time message, shown once. */
function flash(session: Session | undefined): Html | undefined {
  if (session?.flash === undefined) return undefined;
  const { text, error } = session.flash;
  session.flash = undefined;
  return html`<p class="notice${error ? ' error' : ''}" role="status">${text}</p>`;
}
