import type { JsonObject } from './json.js';
import type { EventSource } from './event.js';
import {
  type InstallMark,
  type Machine,
  type MachineState,
  MARK_ORIGINS,
  type MarkOrigin,
} from './machine.js';
import type { EpochMs } from './time.js';

// The install lifecycle of design.md §3 as one pure function: what a command does to a machine, or why it is
// refused. The store, the clock and the token are the caller's (src/provision/lifecycle.ts); this module decides.
//
//   discovered ──assign──▶ ready ──mark──▶ queued ──answer served──▶ installing ──done──▶ installed
//                                  │         │                         │ failed/expired     │
//                                  ▼         ▼ cancel                  ▼ cancel             └─reinstall─▶ queued
//                                       ready                       failed ──mark──▶ queued
//
// The rules that make an install happen exactly once (catalogue S07): a mark is explicit, carries who and until
// when, and exists only in `queued`/`installing`; fetching the answer file does not consume it (a boot makes
// several requests, Pixiecore's note); only the installer's done callback does, once; an expired mark is refused
// everywhere and turned into `failed` by `expire`.

export type LifecycleCommand =
  /** Sets or clears the profile the machine installs with. */
  | { readonly kind: 'assign'; readonly profile: string | null }
  /**
   * Marks for install. `reinstall` must be true for an installed machine and false for one never installed, so a
   * script that asks for a first install cannot wipe a machine that already runs (S07).
   */
  | {
      readonly kind: 'mark';
      readonly by: string;
      readonly ttlMs: number;
      readonly tokenHash: string;
      readonly reinstall: boolean;
      /** The profile it would install with (its own, else its rule's); null when none. */
      readonly profile: string | null;
      /** One past the time of the machine's last mark (markTime); 0 when it never had one. */
      readonly notBefore: EpochMs;
    }
  | { readonly kind: 'cancel' }
  /**
   * The installer fetched an answer file with a token whose hash is `tokenHash`: the machine was found by that
   * token, but a cancel and re-mark (or an expiry) may have happened since, so the mark is checked again here.
   */
  | { readonly kind: 'answer-served'; readonly file: string; readonly tokenHash: string }
  | { readonly kind: 'progress'; readonly details: JsonObject }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'expire' }
  | { readonly kind: 'forget' };

export type LifecycleCommandKind = LifecycleCommand['kind'];

/** The fields of a machine the lifecycle changes: a subset of the store's MachinePatch. */
export interface LifecyclePatch {
  readonly state?: MachineState;
  readonly installMark?: InstallMark | null;
  readonly profile?: string | null;
}

export interface Accepted {
  readonly ok: true;
  /** `null`: nothing to write (an idempotent repeat, a progress report); `forget`: remove the machine. */
  readonly patch: LifecyclePatch | 'forget' | null;
  /** What the machine must still be for the write to apply (optimistic concurrency). */
  readonly expectation: { readonly version: number; readonly state: MachineState };
  readonly event: { readonly source: EventSource; readonly kind: string; readonly details: JsonObject };
  readonly audit: { readonly action: string; readonly details: JsonObject };
}

export const REFUSAL_CODES = ['wrong-state', 'expired', 'no-profile', 'stale-token'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface Refused {
  readonly ok: false;
  readonly code: RefusalCode;
  /** For the operator: what is wrong and what to do instead. */
  readonly reason: string;
  readonly audit: { readonly action: string; readonly details: JsonObject };
}

export type TransitionResult = Accepted | Refused;

/** The audit action of each command (reliability-catalogue S08: stable verbs, searchable). */
export const AUDIT_ACTIONS: Readonly<Record<LifecycleCommandKind, string>> = {
  assign: 'machine.assign',
  mark: 'machine.mark',
  cancel: 'machine.cancel',
  'answer-served': 'answer-file.fetch',
  progress: 'install.progress',
  done: 'install.done',
  failed: 'install.failed',
  expire: 'machine.expire',
  forget: 'machine.forget',
};

/** Reasons a machine ends up `failed` that the lifecycle itself gives. */
export const FAILURE_TIMEOUT = 'timeout';
export const FAILURE_CANCELED = 'canceled during install';

/**
 * When a new mark is made: now, but after every earlier mark of the machine (`notBefore`, one past the last
 * one's time). The install token is derived from (machine, mark time) (src/provision/install-token.ts), so a mark
 * made in the millisecond its predecessor was canceled must not get that one's time, or the canceled token would
 * come back to life.
 */
export function markTime(now: EpochMs, notBefore: EpochMs): EpochMs {
  return Math.max(now, notBefore);
}

export function transition(machine: Machine, command: LifecycleCommand, now: EpochMs): TransitionResult {
  const action =
    command.kind === 'mark' && command.reinstall ? 'machine.reinstall' : AUDIT_ACTIONS[command.kind];
  const { state } = machine;
  const refuse = (code: RefusalCode, reason: string): Refused => ({
    ok: false,
    code,
    reason,
    audit: { action, details: { state, refused: code, reason } },
  });
  const accept = (
    patch: Accepted['patch'],
    source: EventSource,
    kind: string,
    details: JsonObject = {},
  ): Accepted => {
    const to = patch !== null && patch !== 'forget' ? (patch.state ?? state) : state;
    const moved = to === state ? {} : { from: state, to };
    return {
      ok: true,
      patch,
      expectation: { version: machine.version, state },
      event: { source, kind, details: { ...moved, ...details } },
      audit: { action, details: { ...moved, ...details } },
    };
  };
  const mark = machine.installMark;
  const marked = mark !== null && (state === 'queued' || state === 'installing');
  const live = marked && now < mark.expiresAt;
  /** Where withdrawing the mark before the installer started leads back to (InstallMark.from). */
  const origin: MarkOrigin = mark?.from ?? 'ready';
  // Installer-side commands name a mark; a missing or expired one is refused the same way whatever the state.
  const needsLiveMark = (): Refused | undefined => {
    if (!marked) return refuse('wrong-state', `${state}: not marked for install`);
    if (!live)
      return refuse('expired', `the install mark expired at ${new Date(mark.expiresAt).toISOString()}`);
    return undefined;
  };

  switch (command.kind) {
    case 'assign': {
      if (marked) {
        return refuse(
          'wrong-state',
          `${state}: the profile cannot change under a running install; cancel first`,
        );
      }
      if (command.profile === machine.profile) return accept(null, 'lifecycle', 'profile unchanged');
      // Only a discovered or ready machine moves: an installed or failed one keeps its history.
      const next =
        state === 'discovered' && command.profile !== null
          ? 'ready'
          : state === 'ready' && command.profile === null
            ? 'discovered'
            : state;
      return accept(
        { profile: command.profile, ...(next === state ? {} : { state: next }) },
        'lifecycle',
        command.profile === null ? 'profile cleared' : 'profile assigned',
        { profile: command.profile, previous: machine.profile },
      );
    }
    case 'mark': {
      if (marked) {
        return refuse(
          'wrong-state',
          `${state}: already marked by ${mark.by} until ${new Date(mark.expiresAt).toISOString()}; cancel first`,
        );
      }
      if (state === 'discovered') {
        return refuse('no-profile', 'discovered: assign a profile first (fleetboot machines assign)');
      }
      if (state === 'installed' && !command.reinstall) {
        return refuse(
          'wrong-state',
          'installed: installing again wipes its disk; ask for a reinstall explicitly',
        );
      }
      if (state === 'ready' && command.reinstall) {
        return refuse(
          'wrong-state',
          'ready: never installed, so there is nothing to reinstall; mark it for install',
        );
      }
      if (command.profile === null) return refuse('no-profile', `${state}: no profile; assign one first`);
      if (!isMarkOrigin(state)) return refuse('wrong-state', `${state}: cannot be marked for install`);
      const at = markTime(now, command.notBefore);
      const installMark: InstallMark = {
        by: command.by,
        at,
        expiresAt: at + command.ttlMs,
        tokenHash: command.tokenHash,
        from: state,
      };
      return accept(
        { state: 'queued', installMark },
        'lifecycle',
        command.reinstall ? 'reinstall marked' : 'install marked',
        { by: command.by, at, expiresAt: installMark.expiresAt, profile: command.profile },
      );
    }
    case 'cancel':
      if (!marked) return refuse('wrong-state', `${state}: not marked for install`);
      // Queued: the installer has not started, the disk is as it was, so the machine goes back to the state it
      // was marked from (an installed machine stays installed). Installing: the disk may be half written.
      return state === 'queued'
        ? accept({ state: origin, installMark: null }, 'lifecycle', 'install mark canceled', {
            by: mark.by,
            restored: origin,
          })
        : accept({ state: 'failed', installMark: null }, 'lifecycle', 'install mark canceled', {
            by: mark.by,
            reason: FAILURE_CANCELED,
          });
    case 'answer-served': {
      const refused = needsLiveMark();
      if (refused) return refused;
      // The token of a canceled mark must not start the install of its successor (catalogue S07).
      if (mark?.tokenHash !== command.tokenHash)
        return refuse('stale-token', `${state}: the token is not the one of the current install mark`);
      // Served again (a retry, the second file of a pair): the mark stays, the fetch is still recorded.
      const patch = state === 'queued' ? { state: 'installing' as const } : null;
      return accept(patch, 'installer', 'answer-file served', { file: command.file });
    }
    case 'progress':
      return needsLiveMark() ?? accept(null, 'installer', 'install progress', { progress: command.details });
    case 'done':
      if (state === 'installed')
        return refuse('wrong-state', 'installed: the done callback was already accepted');
      return (
        needsLiveMark() ??
        (state === 'installing'
          ? accept({ state: 'installed', installMark: null }, 'installer', 'install done', {})
          : refuse('wrong-state', `${state}: the answer file was never fetched, so no install is running`))
      );
    case 'failed':
      return (
        needsLiveMark() ??
        accept({ state: 'failed', installMark: null }, 'installer', 'install failed', {
          reason: command.reason,
        })
      );
    case 'expire':
      if (!marked) return refuse('wrong-state', `${state}: not marked for install`);
      if (live)
        return refuse('wrong-state', `the mark is valid until ${new Date(mark.expiresAt).toISOString()}`);
      // A reinstall whose installer never started has not touched the disk: the machine still runs its OS.
      if (state === 'queued' && origin === 'installed') {
        return accept({ state: 'installed', installMark: null }, 'lifecycle', 'install mark expired', {
          reason: FAILURE_TIMEOUT,
          expiresAt: mark.expiresAt,
          restored: origin,
        });
      }
      return accept({ state: 'failed', installMark: null }, 'lifecycle', 'install mark expired', {
        reason: FAILURE_TIMEOUT,
        expiresAt: mark.expiresAt,
      });
    case 'forget':
      if (marked) return refuse('wrong-state', `${state}: marked for install; cancel first`);
      return accept('forget', 'lifecycle', 'machine forgotten');
  }
}

function isMarkOrigin(state: MachineState): state is MarkOrigin {
  return (MARK_ORIGINS as readonly string[]).includes(state);
}
