// Browsable API docs: one self-contained HTML page listing the routes from the route table, with no script and
// nothing fetched from elsewhere (fleetboot runs air-gapped and behind SSH tunnels).
import type { AnyRoute } from './route.js';
import { openApiPath } from './openapi.js';
import { escapeHtml } from '../values/html-escape.js';

/** The page's Content-Security-Policy: its own inline style, nothing else. */
export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export function docsPage(routes: readonly AnyRoute[], version: string): string {
  const rows = routes
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.tag)}</td><td><code>${escapeHtml(r.method)}</code></td>` +
        `<td><code>${escapeHtml(openApiPath(r.url))}</code></td><td>${escapeHtml(r.access)}</td>` +
        `<td>${escapeHtml(r.summary)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fleetboot API ${escapeHtml(version)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1>fleetboot API ${escapeHtml(version)}</h1>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> on every call marked with a role; create a token with
<code>fleetboot token create --name NAME --role viewer|operator|admin</code>. Roles: viewer &lt; operator &lt; admin.
Errors are <code>{"error": {"code", "message"}}</code>. The full schemas are in
<a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<table>
<thead><tr><th>Group</th><th>Method</th><th>Path</th><th>Role</th><th>What it does</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
