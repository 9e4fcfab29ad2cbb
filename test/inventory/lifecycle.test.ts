import { describe, expect, it } from 'vitest';
import { type LifecycleCommand, transition, type TransitionResult } from '../../src/inventory/lifecycle.js';
import {
  type InstallMark,
  type Machine,
  type MachineId,
  MACHINE_STATES,
  type MachineState,
  MARKED_STATES,
} from '../../src/inventory/machine.js';
import { parseMac } from '../../src/values/mac.js';

// The transition table of design.md §3, every state × every command (catalogue S07).

const NOW = Date.UTC(2026, 10, 27, 12);
const HASH = 'a'.repeat(64);
const liveMark: InstallMark = {
  by: 'ops@host',
  at: NOW - 60_000,
  expiresAt: NOW + 3_600_000,
  tokenHash: HASH,
};

function machine(state: MachineState, overrides: Partial<Machine> = {}): Machine {
  return {
    id: '00000000-0000-4000-8000-000000000001' as MachineId,
    macs: [parseMac('52:54:00:00:00:01')],
    uuid: null,
    arch: 0,
    vendorClass: null,
    hostname: 'node01',
    labels: {},
    reservedIp: null,
    profile: state === 'discovered' ? null : 'debian12',
    state,
    installMark: MARKED_STATES.includes(state) ? liveMark : null,
    version: 7,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

const mark = (reinstall = false, profile: string | null = 'debian12'): LifecycleCommand => ({
  kind: 'mark',
  by: 'alice@admin',
  ttlMs: 600_000,
  tokenHash: HASH,
  reinstall,
  profile,
  notBefore: 0,
});

const commands: Record<string, LifecycleCommand> = {
  assign: { kind: 'assign', profile: 'other' },
  unassign: { kind: 'assign', profile: null },
  mark: mark(),
  reinstall: mark(true),
  cancel: { kind: 'cancel' },
  'answer-served': { kind: 'answer-served', file: 'preseed.cfg', tokenHash: HASH },
  progress: { kind: 'progress', details: { step: 'partitioning' } },
  done: { kind: 'done' },
  failed: { kind: 'failed', reason: 'no disk' },
  expire: { kind: 'expire' },
  forget: { kind: 'forget' },
};

/** `state` it moves to, `=` for accepted without a state change, `-` for forgotten, `x` for refused. */
const TABLE: Record<string, Record<MachineState, string>> = {
  //               discovered    ready         queued        installing    installed     failed
  assign: { discovered: 'ready', ready: '=', queued: 'x', installing: 'x', installed: '=', failed: '=' },
  unassign: {
    discovered: '=',
    ready: 'discovered',
    queued: 'x',
    installing: 'x',
    installed: '=',
    failed: '=',
  },
  mark: { discovered: 'x', ready: 'queued', queued: 'x', installing: 'x', installed: 'x', failed: 'queued' },
  reinstall: {
    discovered: 'x',
    ready: 'x',
    queued: 'x',
    installing: 'x',
    installed: 'queued',
    failed: 'queued',
  },
  cancel: { discovered: 'x', ready: 'x', queued: 'ready', installing: 'failed', installed: 'x', failed: 'x' },
  'answer-served': {
    discovered: 'x',
    ready: 'x',
    queued: 'installing',
    installing: '=',
    installed: 'x',
    failed: 'x',
  },
  progress: { discovered: 'x', ready: 'x', queued: '=', installing: '=', installed: 'x', failed: 'x' },
  done: { discovered: 'x', ready: 'x', queued: 'x', installing: 'installed', installed: 'x', failed: 'x' },
  failed: {
    discovered: 'x',
    ready: 'x',
    queued: 'failed',
    installing: 'failed',
    installed: 'x',
    failed: 'x',
  },
  // With a live mark; the expired case is below.
  expire: { discovered: 'x', ready: 'x', queued: 'x', installing: 'x', installed: 'x', failed: 'x' },
  forget: { discovered: '-', ready: '-', queued: 'x', installing: 'x', installed: '-', failed: '-' },
};

function outcome(result: TransitionResult): string {
  if (!result.ok) return 'x';
  if (result.patch === 'forget') return '-';
  return result.patch?.state ?? '=';
}

describe('transition', () => {
  for (const [name, row] of Object.entries(TABLE)) {
    it.each(MACHINE_STATES.map((state) => [state, row[state]]))(`${name} from %s → %s`, (state, expected) => {
      const command = commands[name];
      if (command === undefined) throw new Error(name);
      const result = transition(machine(state), command, NOW);
      expect(outcome(result)).toBe(expected);
      // Every outcome is audited, accepted or not; every accepted one is an event too.
      expect(result.audit.action).toMatch(/^(machine|answer-file|install)\.[a-z]+$/);
      if (result.ok) {
        expect(result.expectation).toEqual({ version: 7, state });
        const patch = result.patch;
        // The mark exists exactly in the marked states (machine.ts).
        if (patch !== null && patch !== 'forget' && patch.state !== undefined) {
          expect(patch.installMark !== undefined && patch.installMark !== null).toBe(
            MARKED_STATES.includes(patch.state) && !MARKED_STATES.includes(state),
          );
        }
      } else expect(result.reason).not.toBe('');
    });
  }

  it('writes a mark with who, when and until when, and the token hash only', () => {
    const result = transition(machine('ready'), mark(), NOW);
    expect(result).toMatchObject({
      ok: true,
      patch: {
        state: 'queued',
        installMark: { by: 'alice@admin', at: NOW, expiresAt: NOW + 600_000, tokenHash: HASH },
      },
      event: { source: 'lifecycle', kind: 'install marked', details: { from: 'ready', to: 'queued' } },
      audit: { action: 'machine.mark' },
    });
    expect(JSON.stringify(result.ok && result.event)).not.toContain(HASH);
    expect(transition(machine('installed'), mark(true), NOW).audit.action).toBe('machine.reinstall');
  });

  it('does not consume the mark when the answer file is fetched, and consumes it on done, once', () => {
    const served = transition(machine('queued'), commands['answer-served'] ?? mark(), NOW);
    expect(served.ok && served.patch).toEqual({ state: 'installing' });
    const again = transition(
      machine('installing'),
      { kind: 'answer-served', file: 'preseed.cfg', tokenHash: HASH },
      NOW,
    );
    expect(again).toMatchObject({ ok: true, patch: null, event: { kind: 'answer-file served' } });
    // A token of another mark (canceled and replaced since the machine was looked up) starts nothing.
    for (const state of ['queued', 'installing'] as const) {
      const stale = transition(
        machine(state),
        { kind: 'answer-served', file: 'preseed.cfg', tokenHash: 'b'.repeat(64) },
        NOW,
      );
      expect(stale).toMatchObject({ ok: false, code: 'stale-token' });
    }
    const done = transition(machine('installing'), { kind: 'done' }, NOW);
    expect(done.ok && done.patch).toEqual({ state: 'installed', installMark: null });
    expect(transition(machine('installed'), { kind: 'done' }, NOW)).toMatchObject({
      ok: false,
      reason: 'installed: the done callback was already accepted',
    });
  });

  it('refuses every installer command on an expired mark, and expire turns it into failed (timeout)', () => {
    const expired = { installMark: { ...liveMark, expiresAt: NOW } };
    for (const command of ['answer-served', 'progress', 'done', 'failed'] as const) {
      const result = transition(machine('installing', expired), commands[command] ?? mark(), NOW);
      expect(result).toMatchObject({ ok: false, code: 'expired' });
    }
    for (const state of ['queued', 'installing'] as const) {
      expect(transition(machine(state, expired), { kind: 'expire' }, NOW)).toMatchObject({
        ok: true,
        patch: { state: 'failed', installMark: null },
        event: { kind: 'install mark expired', details: { reason: 'timeout' } },
      });
    }
  });

  it('records the state a mark was made from, and a withdrawn reinstall leaves the machine installed', () => {
    for (const from of ['ready', 'installed', 'failed'] as const) {
      const result = transition(machine(from), mark(from === 'installed'), NOW);
      expect(result.ok && result.patch).toMatchObject({ installMark: { from } });
    }
    const reinstall = { installMark: { ...liveMark, from: 'installed' as const } };
    // Canceled before the installer started: still installed, so a plain install mark is refused again.
    const canceled = transition(machine('queued', reinstall), { kind: 'cancel' }, NOW);
    expect(canceled).toMatchObject({ ok: true, patch: { state: 'installed', installMark: null } });
    expect(transition(machine('installed'), mark(false), NOW)).toMatchObject({
      ok: false,
      code: 'wrong-state',
    });
    // Expired before the installer started: the disk was never touched.
    const expired = { installMark: { ...liveMark, from: 'installed' as const, expiresAt: NOW } };
    expect(transition(machine('queued', expired), { kind: 'expire' }, NOW)).toMatchObject({
      ok: true,
      patch: { state: 'installed', installMark: null },
      event: { details: { reason: 'timeout', restored: 'installed' } },
    });
    // Once the installer fetched its answers the disk may be half written: failed, as for a first install.
    expect(transition(machine('installing', expired), { kind: 'expire' }, NOW)).toMatchObject({
      patch: { state: 'failed' },
    });
    expect(transition(machine('installing', reinstall), { kind: 'cancel' }, NOW)).toMatchObject({
      patch: { state: 'failed' },
    });
    // A failed machine canceled while queued stays failed, not ready.
    const fromFailed = { installMark: { ...liveMark, from: 'failed' as const } };
    expect(transition(machine('queued', fromFailed), { kind: 'cancel' }, NOW)).toMatchObject({
      patch: { state: 'failed' },
    });
  });

  it('marks after the last mark, so a new mark never repeats an earlier one’s time (and token)', () => {
    const result = transition(machine('ready'), { ...mark(), notBefore: NOW + 5 } as LifecycleCommand, NOW);
    expect(result.ok && result.patch).toMatchObject({
      installMark: { at: NOW + 5, expiresAt: NOW + 5 + 600_000 },
    });
  });

  it('needs a profile to mark, and keeps the profile while marked', () => {
    expect(transition(machine('failed', { profile: null }), mark(false, null), NOW)).toMatchObject({
      ok: false,
      code: 'no-profile',
    });
    expect(transition(machine('discovered'), mark(), NOW)).toMatchObject({ ok: false, code: 'no-profile' });
    expect(transition(machine('ready'), { kind: 'assign', profile: 'debian12' }, NOW)).toMatchObject({
      ok: true,
      patch: null,
    });
  });
});
