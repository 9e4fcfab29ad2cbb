// The fleet table (issue 6 item 4): every machine on one page of up to 1,000 rows, filtered and sorted by the
// store, each row a target of the live stream (sse-swap by machine id) so states change without a reload. It is an
// ARIA table of div rows rather than a <table>: a row can then skip rendering while it is off screen
// (`content-visibility: auto`, which table rows do not support), which halves the time a browser takes to show
// 1,000 of them (measured in test/web/browser.test.ts).
import { type Machine, MACHINE_STATES, type MachineState } from '../../inventory/machine.js';
import type { MachineSortKey } from '../../store/types.js';
import { html, type Html } from '../html.js';
import { timeOf } from './timeline.js';

/** What the filter form asks for, as the page's query string carries it. */
export interface FleetQuery {
  readonly q: string;
  readonly state: MachineState | undefined;
  /** `key=value`, as typed. */
  readonly label: string;
  readonly sort: MachineSortKey;
  readonly order: 'asc' | 'desc';
  readonly cursor: string | undefined;
}

export type StateCounts = Readonly<Record<MachineState, number>>;

/** RFC 4578 §2.1 option 93, as an operator reads it. */
const ARCHES: Readonly<Record<number, string>> = {
  0: 'BIOS',
  6: 'UEFI ia32',
  7: 'UEFI x64',
  9: 'UEFI x64',
  10: 'UEFI arm32',
  11: 'UEFI arm64',
  16: 'UEFI HTTP x64',
  19: 'UEFI HTTP arm64',
};

export function archName(arch: number | null): string {
  if (arch === null) return '';
  return ARCHES[arch] ?? `arch ${String(arch)}`;
}

export function stateBadge(state: MachineState): Html {
  return html`<span class="badge ${state}">${state}</span>`;
}

export function machineName(machine: Machine): string {
  return machine.hostname ?? machine.macs[0] ?? machine.id;
}

export function labelList(labels: Machine['labels']): Html {
  return html`<span class="labels"
    >${Object.entries(labels).map(([k, v]) => html`<span>${k}=${v}</span>`)}</span
  >`;
}

/** The live-update event name of a machine's row. */
export function rowEvent(machine: Pick<Machine, 'id'>): string {
  return `m-${machine.id}`;
}

/** One row; it replaces itself (outerHTML, from its row group) when the stream sends its event. */
export function fleetRow(machine: Machine): Html {
  const more = machine.macs.length > 1 ? ` +${String(machine.macs.length - 1)}` : '';
  const event = rowEvent(machine);
  // One line per row, its swap style inherited from the row group: a page of 1,000 rows stays small.
  return html`<div role="row" class="row" id="${event}" sse-swap="${event}"><div role="cell"><a href="/ui/machines/${machine.id}">${machineName(machine)}</a></div><div role="cell" class="mono">${machine.macs[0] ?? ''}${more}</div><div role="cell">${stateBadge(machine.state)}</div><div role="cell">${machine.profile ?? ''}</div><div role="cell">${labelList(machine.labels)}</div><div role="cell">${archName(machine.arch)}</div><div role="cell" class="mono">${timeOf(machine.updatedAt)}</div></div>`;
}

/** `412 installing · 37 queued · …`, each a link to the fleet filtered by that state. */
export function countsLine(counts: StateCounts): Html {
  const total = MACHINE_STATES.reduce((sum, state) => sum + counts[state], 0);
  const links = MACHINE_STATES.map(
    (state) =>
      html` <a href="/ui/machines?state=${state}"><strong>${counts[state]}</strong> ${stateBadge(state)}</a>`,
  );
  return html`<a href="/ui/machines"><strong>${total}</strong> machines</a>${links}`;
}

const SORTS: readonly [MachineSortKey, string][] = [
  ['hostname', 'Name'],
  ['state', 'State'],
  ['createdAt', 'First seen'],
  ['updatedAt', 'Updated'],
];

function queryString(query: FleetQuery, overrides: Partial<Record<keyof FleetQuery, string>>): string {
  const params = new URLSearchParams();
  const merged: Record<string, string | undefined> = {
    q: query.q,
    state: query.state,
    label: query.label,
    sort: query.sort,
    order: query.order,
    ...overrides,
  };
  for (const [key, value] of Object.entries(merged))
    if (value !== undefined && value !== '') params.set(key, value);
  return params.toString();
}

function sortHeader(query: FleetQuery, key: MachineSortKey, title: string): Html {
  const active = query.sort === key;
  const order = active && query.order === 'asc' ? 'desc' : 'asc';
  const arrow = active ? (query.order === 'asc' ? ' ▲' : ' ▼') : '';
  return html`<a href="/ui/machines?${queryString(query, { sort: key, order })}">${title}${arrow}</a>`;
}

export interface FleetView {
  readonly query: FleetQuery;
  readonly machines: readonly Machine[];
  /** Machines matching the filter, across all pages. */
  readonly total: number;
  readonly nextCursor: string | null;
  readonly counts: StateCounts;
  /** "1 upstream copy, 480 served (…)", when the package cache is on. */
  readonly cacheLine: string | undefined;
  /** A filter that could not be used, said to the operator. */
  readonly problem: string | undefined;
  /** The newest event id when the page was made: the live stream starts after it, so nothing falls between. */
  readonly streamAfter: number;
}

export function fleetPage(view: FleetView): Html {
  const { query } = view;
  const header = (key: MachineSortKey | undefined, title: string) =>
    key === undefined
      ? html`<div role="columnheader">${title}</div>`
      : html`<div role="columnheader">${sortHeader(query, key, title)}</div>`;
  const names = Object.fromEntries(SORTS) as Record<MachineSortKey, string>;
  return html`<div hx-ext="sse" sse-connect="/ui/events?after=${view.streamAfter}">
    <h1>Fleet</h1>
    <p class="counts" id="counts" sse-swap="counts">${countsLine(view.counts)}</p>
    ${cacheLine(view.cacheLine)}
    <form class="filters" method="get" action="/ui/machines">
      <input
        type="search"
        name="q"
        value="${query.q}"
        placeholder="host, MAC, UUID, IP, profile"
        aria-label="Search"
        maxlength="128"
      />
      <select name="state" aria-label="State">
        <option value="">any state</option>
        ${MACHINE_STATES.map(
          (state) =>
            html`<option value="${state}" ${query.state === state ? ' selected' : ''}>${state}</option>`,
        )}
      </select>
      <input
        type="text"
        name="label"
        value="${query.label}"
        placeholder="label: rack=r12"
        aria-label="Label"
        maxlength="300"
      />
      <select name="sort" aria-label="Sort by">
        ${SORTS.map(
          ([key, title]) =>
            html`<option value="${key}" ${query.sort === key ? ' selected' : ''}>${title}</option>`,
        )}
      </select>
      <select name="order" aria-label="Order">
        <option value="asc" ${query.order === 'asc' ? ' selected' : ''}>ascending</option>
        <option value="desc" ${query.order === 'desc' ? ' selected' : ''}>descending</option>
      </select>
      <button type="submit">Filter</button>
      <a href="/ui/machines">clear</a>
    </form>
    ${view.problem && html`<p class="notice error">${view.problem}</p>`}
    <p class="muted" id="shown">${view.machines.length} shown of ${view.total} matching</p>
    <div role="table" id="fleet" aria-label="Machines">
      <div role="rowgroup" class="head"><div role="row" class="row">${header('hostname', names.hostname)}${header(undefined, 'MAC')}${header('state', names.state)}${header(undefined, 'Profile')}${header(undefined, 'Labels')}${header(undefined, 'Arch')}${header('updatedAt', names.updatedAt)}</div></div>
      <div role="rowgroup" class="body" hx-swap="outerHTML">
${view.machines.map(fleetRow)}
      </div>
    </div>
    ${view.nextCursor !== null && html`<p class="paging"><a href="/ui/machines?${queryString(query, { cursor: view.nextCursor })}">next page →</a></p>`}
  </div>`;
}

export function cacheLine(line: string | undefined): Html | undefined {
  return line === undefined
    ? undefined
    : html`<p class="cache" id="cache" sse-swap="cache">Package cache: ${line}</p>`;
}
