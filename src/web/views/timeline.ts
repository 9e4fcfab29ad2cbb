// One timeline row per event: when, the boot step (inventory/boot-timeline.ts), what happened in a line an
// operator reads like the course's packet list (DHCP, TFTP with its negotiated options, HTTP, answer file,
// callbacks), and the rest of the details. Every value is data from the network or the installer: escaped by html.
import { BOOT_STEP_LABELS, bootStepOf, isFailure, numberOf } from '../../inventory/boot-timeline.js';
import type { MachineEvent } from '../../inventory/event.js';
import type { JsonObject, JsonValue } from '../../inventory/json.js';
import { formatBytes } from '../../values/cache-savings.js';
import { html, type Html } from '../html.js';

/** `2026-11-27 12:00:01.123` (UTC): the same for every operator, wherever their browser is. */
export function timeOf(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** One row; `previousAt` is the time of the row above, for the gap between them. */
export function timelineRow(event: MachineEvent, previousAt: number | undefined): Html {
  const step = bootStepOf(event);
  const gap = previousAt === undefined ? '' : `+${((event.at - previousAt) / 1000).toFixed(3)} s`;
  const failure = isFailure(event) ? html` class="failure"` : undefined;
  return html`<tr id="e-${event.id}"${failure}><td class="mono">${timeOf(event.at)}</td><td class="mono muted">${gap}</td><td>${step === undefined ? '' : BOOT_STEP_LABELS[step]}</td><td class="what">${event.source} · ${event.kind}</td><td>${summaryOf(event)}</td><td class="details mono">${otherDetails(event)}</td></tr>`;
}

/** Rows for events in order, each with the gap to the one before (`previousAt` for the first). */
export function timelineRows(events: readonly MachineEvent[], previousAt: number | undefined): Html {
  let before = previousAt;
  return html`${events.map((event) => {
    const row = timelineRow(event, before);
    before = event.at;
    return row;
  })}`;
}

const text = (value: JsonValue | undefined): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

/** The line that says what happened. */
export function summaryOf(event: MachineEvent): string {
  const d = event.details;
  switch (event.source) {
    case 'dhcp':
      return dhcpSummary(event.kind, d);
    case 'tftp':
      return tftpSummary(d);
    case 'http':
      if (event.kind === 'HTTP GET') {
        const bytes = numberOf(d, 'bytes');
        const size = Number.isNaN(bytes) ? '' : `, ${formatBytes(bytes)}`;
        const cut = d.complete === false ? ', broke off before the end' : '';
        return `${text(d.file)}: ${text(d.status)}${size}${typeof d.range === 'string' ? ` (${d.range})` : ''}${cut}`;
      }
      if (event.kind === 'iPXE script') return `${text(d.action)}: ${text(d.reason)}`;
      return '';
    case 'installer':
      if (event.kind === 'answer-file served') return text(d.file);
      if (event.kind === 'install failed') return text(d.reason);
      if (event.kind === 'install progress') return text(d.progress);
      return '';
    case 'lifecycle':
    case 'api': {
      const moved = typeof d.from === 'string' && typeof d.to === 'string' ? `${d.from} → ${d.to}` : '';
      const by = typeof d.by === 'string' ? ` by ${d.by}` : '';
      return `${moved}${by}`;
    }
  }
}

function dhcpSummary(kind: string, d: JsonObject): string {
  const parts: string[] = [];
  if (typeof d.xid === 'number') parts.push(`xid 0x${d.xid.toString(16).padStart(8, '0')}`);
  if (typeof d.firmware === 'string') {
    const arch = typeof d.arch === 'number' ? ` (arch ${String(d.arch)})` : '';
    parts.push(`${d.firmware}${arch}${d.ipxe === true ? ', iPXE' : ''}`);
  }
  if (kind === 'DHCPOFFER' || kind === 'DHCPACK') {
    if (typeof d.assignedAddress === 'string') parts.push(`→ ${d.assignedAddress}`);
    if (typeof d.bootFile === 'string') parts.push(`boot file ${d.bootFile}`);
    if (typeof d.noBootFile === 'string') parts.push(`no boot file: ${d.noBootFile}`);
  }
  if (typeof d.requestedAddress === 'string') parts.push(`asks for ${d.requestedAddress}`);
  if (typeof d.reason === 'string') parts.push(d.reason);
  if (typeof d.outcome === 'string') parts.push(`dropped: ${d.outcome}`);
  return parts.join(' · ');
}

/** `undionly.kpxe: ok, 68.0 KiB in 120 ms · blksize 1468 · windowsize 4 · tsize 69632 · 2 retransmits`. */
function tftpSummary(d: JsonObject): string {
  const file = text(d.file) || '(no file)';
  const result = text(d.result);
  const bytes = numberOf(d, 'bytes');
  let outcome: string;
  if (result === 'ok') outcome = `ok, ${formatBytes(bytes)} in ${text(d.durationMs)} ms`;
  else if (result === 'timeout') {
    const block = numberOf(d, 'blocks') + 1;
    outcome = `timeout at block ${Number.isNaN(block) ? '?' : String(block)}`;
  } else if (result === 'error') {
    const code = d.errorCode === null || d.errorCode === undefined ? '' : ` ${text(d.errorCode)}`;
    outcome = `error${code} from ${text(d.errorFrom)}: ${text(d.reason ?? d.message)}`;
  } else if (result === 'aborted') outcome = `aborted: ${text(d.reason)}`;
  else outcome = result;
  const options = [
    d.blksize === null || d.blksize === undefined ? '' : `blksize ${text(d.blksize)}`,
    d.windowsize === null || d.windowsize === undefined ? '' : `windowsize ${text(d.windowsize)}`,
    d.tsize === null || d.tsize === undefined ? '' : `tsize ${text(d.tsize)}`,
    numberOf(d, 'retransmits') > 0 ? `${text(d.retransmits)} retransmits` : '',
  ].filter((s) => s !== '');
  return [`${file}: ${outcome}`, ...options].join(' · ');
}

/** Details the summary does not show, as `key=value`. */
const SHOWN = new Set([
  'xid',
  'firmware',
  'arch',
  'ipxe',
  'assignedAddress',
  'bootFile',
  'noBootFile',
  'requestedAddress',
  'reason',
  'outcome',
  'file',
  'result',
  'bytes',
  'durationMs',
  'blocks',
  'errorCode',
  'errorFrom',
  'message',
  'blksize',
  'windowsize',
  'tsize',
  'retransmits',
  'status',
  'range',
  'complete',
  'action',
  'progress',
  'from',
  'to',
  'by',
]);

function otherDetails(event: MachineEvent): string {
  return Object.entries(event.details)
    .filter(([key, value]) => !SHOWN.has(key) && value !== null)
    .map(([key, value]) => `${key}=${text(value)}`)
    .join(' ');
}
