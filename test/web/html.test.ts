import { describe, expect, it } from 'vitest';
import { escapeHtml, Html, html, joinHtml, unsafeRaw } from '../../src/web/html.js';

// The dashboard's one HTML helper (catalogue H09, S13): every interpolation escaped, raw markup only by name.

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '`${7*7}` {{7*7}} <%= 7*7 %>',
  'a & b &amp; c',
  '</textarea></pre><svg onload=alert(1)>',
];

describe('html`…`', () => {
  it.each(HOSTILE)('escapes %s in text and in quoted attributes', (value) => {
    const out = html`<td title="${value}" data-x='${value}'>${value}</td>`.text;
    const escaped = escapeHtml(value);
    // Nothing of the value can end a text run, a tag or a quoted attribute.
    expect(escaped).not.toMatch(/[<>"'`]/);
    expect(out).toBe(`<td title="${escaped}" data-x='${escaped}'>${escaped}</td>`);
    // What a browser decodes is the value again, character for character.
    const decoded = out
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&#96;/g, '`')
      .replace(/&amp;/g, '&');
    expect(decoded).toBe(`<td title="${value}" data-x='${value}'>${value}</td>`);
  });

  it('escapes every special character, & first so nothing is escaped twice', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });

  it('keeps Html made by html, renders lists, numbers and nothing for false, null and undefined', () => {
    const rows = ['<a>', 'b'].map((v) => html`<li>${v}</li>`);
    expect(html`<ul>${rows}</ul>`.text).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>');
    const shown = (flag: boolean) => flag && html`<b>x</b>`;
    expect(html`${0} ${false} ${null} ${undefined} ${shown(true)}${shown(false)}`.text).toBe('0    <b>x</b>');
  });

  it('a string that looks like markup is still text: only Html passes through', () => {
    const looksSafe = { text: '<b>', toString: () => '<b>' };
    expect(html`${looksSafe as unknown as string}`.text).toBe('&lt;b&gt;');
  });

  it('cannot make Html but through html and unsafeRaw', () => {
    expect(() => new Html(Symbol('html'), '<script>')).toThrow(TypeError);
    expect(html`${unsafeRaw('<br>')}`.text).toBe('<br>');
  });

  it('joins with an escaped separator', () => {
    expect(joinHtml([html`<i>a</i>`, html`<i>b</i>`], ' & ').text).toBe('<i>a</i> &amp; <i>b</i>');
  });
});
