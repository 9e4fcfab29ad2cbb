import type { AuditOutcome } from '../inventory/audit.js';
import type { JsonObject } from '../inventory/json.js';
import {
  type LifecycleCommand,
  type RefusalCode,
  transition,
  AUDIT_ACTIONS,
  markTime,
} from '../inventory/lifecycle.js';
import { type Machine, type MachineId, MARKED_STATES } from '../inventory/machine.js';
import type { Profile, Rule } from '../inventory/profile.js';
import { resolveProfile } from '../inventory/rules.js';
import type { EpochMs } from '../inventory/time.js';
import type { Logger } from '../observability/logger.js';
import { MachineConflictError, MachineNotFoundError } from '../store/errors.js';
import type { Store } from '../store/types.js';
import type { DeclaredMachine } from '../config/types.js';
import { CONFIG_ACTOR, type SyncReport, syncDeclaredMachines } from './declared-machines.js';
import { deriveInstallToken, hashInstallToken, isInstallTokenShape } from './install-token.js';

// The install lifecycle against the store (design.md §3, issue 5 item 4): the pure table of
// src/inventory/lifecycle.ts decides, this class reads the machine, writes the decision with the expectation the
// decision was made under (optimistic concurrency: two callers racing, one wins and the other re-decides on what
// the winner wrote), and records an event and an audit entry for every outcome (catalogue S07, S08).

export interface LifecycleOptions {
  readonly store: Pick<Store, 'inventory' | 'events' | 'audit'>;
  /** The server secret install tokens are derived from (install-token.ts loadOrCreateSecret). */
  readonly secret: Uint8Array;
  readonly now: () => EpochMs;
  /** Default validity of a mark (config install.markTtlMs). */
  readonly markTtlMs: number;
  readonly profiles: readonly Profile[];
  readonly rules: readonly Rule[];
  readonly logger?: Logger;
}

/** Who asks, for the audit trail: a CLI actor (`alice@admin`) or API user, and the peer address if any. */
export interface ActorContext {
  readonly actor: string;
  readonly address?: string | null;
}

export type LifecycleErrorCode = RefusalCode | 'unknown-token' | 'unknown-profile' | 'not-found';

/** A command the lifecycle refused; already audited (outcome `denied`). */
export class LifecycleRefusedError extends Error {
  override readonly name = 'LifecycleRefusedError';
  readonly code = 'FLEETBOOT_LIFECYCLE_REFUSED';
  constructor(
    readonly reason: LifecycleErrorCode,
    message: string,
    readonly machineId?: MachineId,
  ) {
    super(message);
  }
}

/** The actor of the installer's own requests: it authenticates with the token, not as a user. */
const INSTALLER = 'installer';
/** The actor of what the server does by itself (expiry, declared machines). */
const SYSTEM = 'fleetboot';
/** An optimistic write re-decided this many times before giving up (each retry means someone else wrote). */
const MAX_ATTEMPTS = 5;
/** Bounds on what an installer may put into the log through its callbacks (catalogue H10). */
const MAX_REASON = 500;
const MAX_PROGRESS_JSON = 4096;

export class Lifecycle {
  private readonly store: LifecycleOptions['store'];

  constructor(private readonly options: LifecycleOptions) {
    this.store = options.store;
  }

  /** Sets (or with null clears) the profile a machine installs with; discovered → ready, ready → discovered. */
  async assign(id: MachineId, profile: string | null, actor: string | ActorContext): Promise<Machine> {
    const who = context(actor);
    if (profile !== null && !this.options.profiles.some((p) => p.name === profile)) {
      await this.audit(who, 'machine.assign', id, 'denied', { profile, refused: 'unknown-profile' });
      throw new LifecycleRefusedError('unknown-profile', `no profile is named "${profile}"`, id);
    }
    return this.run(id, who, () => ({ kind: 'assign', profile }));
  }

  /**
   * Marks a machine for install (reinstall: for an installed one) and returns the install token, which goes into
   * its boot config and is never stored or shown again: the mark keeps only its hash.
   */
  async markInstall(
    id: MachineId,
    options: ActorContext & { readonly ttlMs?: number; readonly reinstall?: boolean },
  ): Promise<{ readonly machine: Machine; readonly token: string }> {
    let token = '';
    const notBefore = await this.afterLastMark(id);
    const machine = await this.run(id, options, (current, now) => {
      token = deriveInstallToken(this.options.secret, current.id, markTime(now, notBefore));
      const resolved = resolveProfile(current, {}, this.options.rules, this.options.profiles);
      return {
        kind: 'mark',
        by: options.actor,
        ttlMs: options.ttlMs ?? this.options.markTtlMs,
        tokenHash: hashInstallToken(token),
        reinstall: options.reinstall ?? false,
        profile: resolved?.profile.name ?? null,
        notBefore,
      };
    });
    return { machine, token };
  }

  /** One past the time of the machine's last mark, from the audit trail (the mark itself is gone once it ends). */
  private async afterLastMark(id: MachineId): Promise<EpochMs> {
    const times = await Promise.all(
      ['machine.mark', 'machine.reinstall'].map(async (action) => {
        const [last] = await this.store.audit.list({
          target: id,
          action,
          outcome: 'ok',
          order: 'desc',
          limit: 1,
        });
        const at = last?.details.at;
        return typeof at === 'number' ? at + 1 : 0;
      }),
    );
    return Math.max(...times);
  }

  async cancel(id: MachineId, actor: string | ActorContext): Promise<Machine> {
    return this.run(id, context(actor), () => ({ kind: 'cancel' }));
  }

  /** Removes the machine from the inventory (its events stay). Refused while it is marked. */
  async forget(id: MachineId, actor: string | ActorContext): Promise<boolean> {
    await this.run(id, context(actor), () => ({ kind: 'forget' }));
    return true;
  }

  /** The machine this token marks, only while it is marked and the mark has not expired (catalogue S04). */
  async byToken(token: string): Promise<Machine | undefined> {
    const machine = await this.markedBy(token);
    const mark = machine?.installMark;
    return machine && mark && this.options.now() < mark.expiresAt ? machine : undefined;
  }

  /**
   * The installer fetched an answer file with `request.token`: queued → installing; the mark stays (a boot
   * fetches several). The machine is re-read, so the token is checked against the mark as it is now: one
   * canceled and re-marked, or expired, since `byToken` found it is refused.
   */
  async answerServed(
    machine: Machine,
    request: { address: string; file: string; token: string },
  ): Promise<Machine> {
    const tokenHash = hashInstallToken(request.token);
    return this.run(machine.id, { actor: INSTALLER, address: request.address }, () => ({
      kind: 'answer-served',
      file: request.file,
      tokenHash,
    }));
  }

  /** The installer's done callback: installing → installed, consuming the mark. A replay is refused. */
  async installDone(token: string, request: { address: string }): Promise<Machine> {
    return this.byInstaller(token, request.address, 'done', () => ({ kind: 'done' }));
  }

  async installFailed(token: string, request: { address: string; reason: string }): Promise<Machine> {
    const reason = oneLine(request.reason).slice(0, MAX_REASON);
    return this.byInstaller(token, request.address, 'failed', () => ({ kind: 'failed', reason }));
  }

  /** A progress report from the installer: an event on the machine's timeline, no state change. */
  async progress(token: string, request: { address: string; details: JsonObject }): Promise<void> {
    const size = JSON.stringify(request.details).length;
    const details = size <= MAX_PROGRESS_JSON ? request.details : { truncated: true, size };
    await this.byInstaller(token, request.address, 'progress', () => ({ kind: 'progress', details }));
  }

  /** Turns every mark past its expiry into `failed` (reason timeout); returns the machines it changed. */
  async expireMarks(): Promise<Machine[]> {
    const now = this.options.now();
    const expired: Machine[] = [];
    for await (const machine of this.marked()) {
      if (machine.installMark === null || machine.installMark.expiresAt > now) continue;
      try {
        expired.push(
          await this.run(machine.id, { actor: SYSTEM }, () => ({ kind: 'expire' }), { quiet: true }),
        );
      } catch (error) {
        // Another writer got there first (done, cancel, forget): nothing left to expire.
        if (!(error instanceof LifecycleRefusedError)) throw error;
      }
    }
    return expired;
  }

  /**
   * Brings the machines declared in fleetboot.yaml into the inventory (at start): creates the missing ones, sets
   * the declared fields, assigns declared profiles. Never moves a machine back in its lifecycle. Also what
   * `fleetboot machines import` does, with the operator as `actor`.
   */
  async syncDeclaredMachines(
    declared: readonly DeclaredMachine[],
    actor: string = CONFIG_ACTOR,
  ): Promise<SyncReport> {
    return syncDeclaredMachines(declared, {
      store: this.store,
      now: this.options.now,
      assign: (id, profile) => this.assign(id, profile, actor),
      actor,
    });
  }

  /** Every machine in a marked state, page by page. */
  private async *marked(): AsyncGenerator<Machine> {
    let cursor: string | undefined;
    do {
      const page = await this.store.inventory.list({
        filter: { states: MARKED_STATES },
        limit: 500,
        ...(cursor === undefined ? {} : { cursor }),
      });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  private async markedBy(token: string): Promise<Machine | undefined> {
    if (!isInstallTokenShape(token)) return undefined;
    const machine = await this.store.inventory.getByInstallToken(hashInstallToken(token));
    return machine && MARKED_STATES.includes(machine.state) ? machine : undefined;
  }

  private async byInstaller(
    token: string,
    address: string,
    kind: 'done' | 'failed' | 'progress',
    command: () => LifecycleCommand,
  ): Promise<Machine> {
    const who = { actor: INSTALLER, address };
    const machine = await this.markedBy(token);
    if (machine === undefined) {
      // No machine named: the token may be a replay of a consumed one, or a guess. Its hash prefix identifies it
      // in the audit log without making it usable (S04: the same answer either way).
      const target = isInstallTokenShape(token)
        ? `token:${hashInstallToken(token).slice(0, 12)}`
        : 'token:malformed';
      await this.audit(who, AUDIT_ACTIONS[kind], target, 'denied', { refused: 'unknown-token' });
      throw new LifecycleRefusedError('unknown-token', 'no machine is marked with this install token');
    }
    return this.run(machine.id, who, command, { current: machine });
  }

  /**
   * Decides `command` on the machine as stored and writes the decision, re-deciding when another writer changed
   * the machine in between. Audits every outcome; an accepted one is also an event.
   */
  private async run(
    id: MachineId,
    who: ActorContext,
    command: (machine: Machine, now: EpochMs) => LifecycleCommand,
    options: { readonly current?: Machine; readonly quiet?: boolean } = {},
  ): Promise<Machine> {
    let machine = options.current ?? (await this.store.inventory.get(id));
    for (let attempt = 1; ; attempt++) {
      if (machine === undefined) {
        await this.audit(who, 'machine.lookup', id, 'denied', { refused: 'not-found' });
        throw new LifecycleRefusedError('not-found', `no machine with id ${id}`, id);
      }
      const now = this.options.now();
      const cmd = command(machine, now);
      const result = transition(machine, cmd, now);
      if (!result.ok) {
        if (options.quiet !== true)
          await this.audit(who, result.audit.action, id, 'denied', result.audit.details);
        throw new LifecycleRefusedError(result.code, result.reason, id);
      }
      let written: Machine;
      try {
        if (result.patch === null) written = machine;
        else if (result.patch === 'forget') {
          if (!(await this.store.inventory.forget(id, result.expectation)))
            throw new MachineNotFoundError(id);
          written = machine;
        } else written = await this.store.inventory.update(id, result.patch, result.expectation);
      } catch (error) {
        if (error instanceof MachineNotFoundError) {
          machine = undefined;
          continue;
        }
        if (!(error instanceof MachineConflictError) || attempt >= MAX_ATTEMPTS) throw error;
        machine = await this.store.inventory.get(id);
        continue;
      }
      await this.store.events.append({
        at: now,
        machineId: id,
        mac: machine.macs[0] ?? null,
        ...result.event,
      });
      await this.audit(who, result.audit.action, id, 'ok', result.audit.details, now);
      this.options.logger?.info(
        { machineId: id, action: result.audit.action, actor: who.actor, ...result.event.details },
        result.event.kind,
      );
      return written;
    }
  }

  private async audit(
    who: ActorContext,
    action: string,
    target: string,
    outcome: AuditOutcome,
    details: JsonObject,
    at: EpochMs = this.options.now(),
  ): Promise<void> {
    await this.store.audit.append({
      at,
      actor: who.actor,
      action,
      target,
      remoteAddress: who.address ?? null,
      outcome,
      details,
    });
  }
}

function context(actor: string | ActorContext): ActorContext {
  return typeof actor === 'string' ? { actor } : actor;
}

/** Control characters (a newline could forge a log line) become spaces. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}
