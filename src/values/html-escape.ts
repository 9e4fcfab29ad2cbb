// HTML escaping (WHATWG HTML §13.1.2.3, §13.1.2.4): what every page fleetboot makes passes values through, so a
// value can neither end a text run nor a quoted attribute. The API's docs page and the dashboard share it.

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};
const SPECIAL = /[&<>"'`]/g;

/** Text with every character that means something in HTML text or in a quoted attribute replaced. */
export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, (c) => ESCAPES[c] ?? c);
}
