// A machine's page (issue 6 item 4): who it is, its state and the likely cause of a stall, the steps its latest
// boot reached, its whole timeline (updated live), its answer file with secrets masked, and the actions its state
// allows — each behind a confirmation page.
import type { MaskedAnswer } from '../../api/answer-preview.js';
import { BOOT_STEP_LABELS, type StepProgress } from '../../inventory/boot-timeline.js';
import type { Diagnosis } from '../../inventory/diagnosis.js';
import type { MachineEvent } from '../../inventory/event.js';
import type { Machine } from '../../inventory/machine.js';
import { html, type Html } from '../html.js';
import { archName, labelList, machineName, stateBadge } from './fleet.js';
import { timelineRows, timeOf } from './timeline.js';

/** The commands a page offers; each has a confirmation page and a POST route. */
export const MACHINE_ACTIONS = ['assign', 'install', 'reinstall', 'cancel'] as const;
export type MachineAction = (typeof MACHINE_ACTIONS)[number];

/** What the lifecycle would accept in this state (inventory/lifecycle.ts); the lifecycle still decides. */
export function actionsFor(machine: Machine): readonly MachineAction[] {
  switch (machine.state) {
    case 'discovered':
      return ['assign'];
    case 'ready':
      return ['assign', 'install'];
    case 'queued':
    case 'installing':
      return ['cancel'];
    case 'installed':
      return ['assign', 'reinstall'];
    case 'failed':
      return ['assign', 'install', 'reinstall'];
  }
}

export const ACTION_TITLES: Readonly<Record<MachineAction, string>> = {
  assign: 'Assign profile',
  install: 'Mark for install',
  reinstall: 'Mark for reinstall',
  cancel: 'Cancel the install mark',
};

export interface MachineLive {
  readonly machine: Machine;
  readonly diagnosis: Diagnosis | undefined;
  readonly progress: readonly StepProgress[];
  /** Whether the viewer may act (operator or admin): a viewer sees no action at all. */
  readonly canAct: boolean;
  readonly profiles: readonly string[];
}

/** The part of the page the stream re-renders: identity, state, diagnosis, boot steps, actions. */
export function machineLive(view: MachineLive): Html {
  const { machine } = view;
  const mark = machine.installMark;
  return html`<h1>${machineName(machine)} ${stateBadge(machine.state)}</h1>
    ${view.diagnosis && html`<p class="diagnosis" id="diagnosis"><strong>Diagnosis:</strong> ${view.diagnosis.summary} <span class="muted">(since ${timeOf(view.diagnosis.since)})</span></p>`}
    <ol class="steps" aria-label="Latest boot">
      ${view.progress.map(stepItem)}
    </ol>
    <div class="columns">
      <dl class="identity">
        <dt>id</dt>
        <dd class="mono">${machine.id}</dd>
        <dt>MAC</dt>
        <dd class="mono">${machine.macs.join(', ')}</dd>
        <dt>hostname</dt>
        <dd>${machine.hostname ?? ''}</dd>
        <dt>SMBIOS UUID</dt>
        <dd class="mono">${machine.uuid ?? ''}</dd>
        <dt>arch</dt>
        <dd>
          ${archName(machine.arch)}${machine.arch === null ? '' : ` (option 93: ${String(machine.arch)})`}
        </dd>
        <dt>vendor class</dt>
        <dd class="mono">${machine.vendorClass ?? ''}</dd>
      </dl>
      <dl class="identity">
        <dt>state</dt>
        <dd>${machine.state}</dd>
        <dt>profile</dt>
        <dd>${machine.profile ?? 'none (a rule may match)'}</dd>
        <dt>labels</dt>
        <dd>${labelList(machine.labels)}</dd>
        <dt>reserved IP</dt>
        <dd class="mono">${machine.reservedIp ?? ''}</dd>
        <dt>install mark</dt>
        <dd>
          ${mark === null ? 'none' : `by ${mark.by} at ${timeOf(mark.at)}, expires ${timeOf(mark.expiresAt)}`}
        </dd>
        <dt>updated</dt>
        <dd class="mono">${timeOf(machine.updatedAt)} (version ${machine.version})</dd>
      </dl>
    </div>
    ${view.canAct && actions(view)}`;
}

function stepItem(progress: StepProgress): Html {
  const state = progress.first === undefined ? '' : progress.failed ? 'failed' : 'reached';
  const at = progress.first === undefined ? '' : timeOf(progress.first.at).slice(11);
  return html`<li class="${state}" data-step="${progress.step}">
    ${BOOT_STEP_LABELS[progress.step]}<small>${at || '—'}</small>
  </li>`;
}

/** Links to the confirmation pages; assign picks its profile first. Nothing here changes anything by itself. */
function actions(view: MachineLive): Html {
  const { machine } = view;
  const allowed = actionsFor(machine);
  const base = `/ui/machines/${machine.id}/confirm`;
  return html`<div class="actions" id="actions">
    ${allowed.map((action) =>
      action === 'assign'
        ? html`<form method="get" action="${base}">
            <input type="hidden" name="action" value="assign" /><select name="profile" aria-label="Profile">
              <option value="">(none)</option>
              ${view.profiles.map(
                (name) =>
                  html`<option value="${name}" ${machine.profile === name ? ' selected' : ''}>
                    ${name}
                  </option>`,
              )}</select
            ><button type="submit" class="secondary">${ACTION_TITLES.assign}</button>
          </form>`
        : html`<a class="button${action === 'cancel' ? ' secondary' : ''}" href="${base}?action=${action}"
            >${ACTION_TITLES[action]}</a
          >`,
    )}
  </div>`;
}

export interface MachineView extends MachineLive {
  readonly events: readonly MachineEvent[];
  /** Events older than the page shows exist. */
  readonly truncated: boolean;
  /** Undefined for a viewer: the answer file is for operators. */
  readonly answer: MaskedAnswer | undefined;
  /** Where the boot capture downloads from, when the server keeps captures. */
  readonly captureUrl: string | undefined;
  /** The newest event id shown: the live stream starts after it. */
  readonly streamAfter: number;
}

export function machinePage(view: MachineView): Html {
  const { machine } = view;
  return html`<div hx-ext="sse" sse-connect="/ui/machines/${machine.id}/events?after=${view.streamAfter}">
    <p class="muted"><a href="/ui/machines">← fleet</a></p>
    <section id="live" sse-swap="summary">${machineLive(view)}</section>
    <h2>Boot timeline</h2>
    ${view.truncated && html`<p class="muted">Older events: GET /api/v1/machines/${machine.id}/events.</p>`}
    ${view.captureUrl && html`<p><a href="${view.captureUrl}">Download the boot signalling as a pcap</a> (DHCP and TFTP control packets, for Wireshark).</p>`}
    <table class="timeline">
      <thead>
        <tr>
          <th>time (UTC)</th>
          <th>gap</th>
          <th>step</th>
          <th>event</th>
          <th>what</th>
          <th>details</th>
        </tr>
      </thead>
      <tbody id="timeline" sse-swap="timeline" hx-swap="beforeend">
        ${timelineRows(view.events, undefined)}
      </tbody>
    </table>
    <h2>Answer file</h2>
    ${answerSection(view)}
  </div>`;
}

function answerSection(view: MachineView): Html {
  const { answer, machine } = view;
  if (answer === undefined) return html`<p class="muted">Shown to operators and admins.</p>`;
  if (answer.kind === 'none') return html`<p class="muted">None: ${answer.reason}.</p>`;
  return html`<p class="muted">
      ${answer.file} of template ${answer.template} (profile ${answer.profile}), as the installer would get it
      now; the install token and secrets are
      masked.${
        answer.files.length > 1 &&
        html` Files:
        ${answer.files.map(
          (file) => html`<a href="/ui/machines/${machine.id}?file=${encodeURIComponent(file)}">${file}</a> `,
        )}`
      }
    </p>
    <pre class="answer" id="answer">${answer.text}</pre>`;
}

/** The confirmation page: what will happen, and the one form that does it. */
export function confirmPage(options: {
  readonly machine: Machine;
  readonly action: MachineAction;
  readonly profile: string | null;
  readonly csrf: Html;
}): Html {
  const { machine, action, profile } = options;
  const consequence: Record<MachineAction, string> = {
    assign:
      profile === null
        ? 'The machine will have no profile of its own (a rule may still give it one).'
        : `The machine will install with profile ${profile} when it is next marked.`,
    install:
      'Its next network boot will run the installer, which erases its disk. The mark is audited and expires.',
    reinstall:
      'It is installed: its next network boot will run the installer again and erase its disk. The mark is audited and expires.',
    cancel:
      machine.state === 'installing'
        ? 'The installer is already running: the machine becomes failed, its disk may be half written.'
        : 'The machine goes back to the state it was marked from; nothing was installed.',
  };
  return html`<div class="confirm">
    <h1>${ACTION_TITLES[action]}: ${machineName(machine)}?</h1>
    <p>
      ${stateBadge(machine.state)}
      ${machine.macs.join(', ')}${machine.profile === null ? '' : ` · profile ${machine.profile}`}
    </p>
    <p>${consequence[action]}</p>
    <form method="post" action="/ui/machines/${machine.id}/${action}" class="actions">
      ${options.csrf}
      <input type="hidden" name="state" value="${machine.state}" />
      ${action === 'assign' && html`<input type="hidden" name="profile" value="${profile ?? ''}" />`}
      <button
        type="submit"
        class="${action === 'cancel' || action === 'assign' ? '' : 'danger'}"
        id="confirm"
      >
        ${ACTION_TITLES[action]}
      </button>
      <a href="/ui/machines/${machine.id}">Back</a>
    </form>
  </div>`;
}
