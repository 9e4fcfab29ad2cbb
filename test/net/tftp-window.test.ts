import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  TransferWindow,
  type WindowAction,
  type WindowEvent,
  type WindowPlan,
} from '../../src/net/tftp-window.js';

const plan = (overrides: Partial<WindowPlan> = {}): WindowPlan => ({
  totalBlocks: 10,
  windowSize: 1,
  oack: false,
  timeoutMs: 1000,
  maxTimeoutMs: 8000,
  retries: 5,
  stallLimitMs: 30_000,
  ...overrides,
});

const sends = (actions: readonly WindowAction[]) =>
  actions.flatMap((a): (number | string)[][] =>
    a.kind === 'send' ? [[a.first, a.count]] : a.kind === 'send-oack' ? [['oack']] : [],
  );
const arms = (actions: readonly WindowAction[]) => actions.flatMap((a) => (a.kind === 'arm' ? [a.ms] : []));
const ends = (actions: readonly WindowAction[]) => actions.flatMap((a) => (a.kind === 'end' ? [a.end] : []));

describe('TransferWindow: lock-step (RFC 1350)', () => {
  it('sends DATA 1 first, each next block on its ACK, and completes on the final ACK', () => {
    const w = new TransferWindow(plan({ totalBlocks: 3 }));
    expect(w.handle({ kind: 'start', at: 0 })).toEqual([
      { kind: 'send', first: 1, count: 1, resent: 0 },
      { kind: 'arm', ms: 1000 },
    ]);
    expect(w.confirmed).toBe(false);
    expect(sends(w.handle({ kind: 'ack', block: 1, at: 10 }))).toEqual([[2, 1]]);
    expect(w.confirmed).toBe(true);
    expect(sends(w.handle({ kind: 'ack', block: 2, at: 20 }))).toEqual([[3, 1]]);
    expect(ends(w.handle({ kind: 'ack', block: 3, at: 30 }))).toEqual([{ kind: 'complete' }]);
    expect(w.finished).toBe(true);
    expect(w.counters).toEqual({ acknowledged: 3, retransmits: 0, duplicateAcks: 0 });
  });

  it('ignores ACK 0 when no OACK was sent', () => {
    const w = new TransferWindow(plan());
    w.handle({ kind: 'start', at: 0 });
    expect(w.handle({ kind: 'ack', block: 0, at: 1 })).toEqual([]);
    expect(w.counters.duplicateAcks).toBe(1);
  });

  it('does nothing before start and after the end', () => {
    const w = new TransferWindow(plan({ totalBlocks: 1 }));
    expect(w.handle({ kind: 'ack', block: 1, at: 0 })).toEqual([]);
    expect(w.handle({ kind: 'timeout', at: 0 })).toEqual([]);
    w.handle({ kind: 'start', at: 0 });
    expect(ends(w.handle({ kind: 'ack', block: 1, at: 1 }))).toEqual([{ kind: 'complete' }]);
    expect(w.handle({ kind: 'ack', block: 1, at: 2 })).toEqual([]);
    expect(w.handle({ kind: 'timeout', at: 3 })).toEqual([]);
    expect(w.handle({ kind: 'error', code: 0, at: 4 })).toEqual([]);
  });
});

describe('TransferWindow: OACK and windows (RFC 2347, RFC 7440)', () => {
  it('sends only the OACK before ACK 0, then a whole window (catalogue T21)', () => {
    const w = new TransferWindow(plan({ oack: true, windowSize: 4, totalBlocks: 10 }));
    expect(sends(w.handle({ kind: 'start', at: 0 }))).toEqual([['oack']]);
    expect(w.confirmed).toBe(false);
    expect(sends(w.handle({ kind: 'ack', block: 0, at: 1 }))).toEqual([[1, 4]]);
    expect(w.confirmed).toBe(true);
    expect(sends(w.handle({ kind: 'ack', block: 4, at: 2 }))).toEqual([[5, 4]]);
    // The last window is cut at the final block.
    expect(sends(w.handle({ kind: 'ack', block: 8, at: 3 }))).toEqual([[9, 2]]);
    expect(ends(w.handle({ kind: 'ack', block: 10, at: 4 }))).toEqual([{ kind: 'complete' }]);
  });

  it('after an ACK in the middle of a window, starts the next window right after it (a gap)', () => {
    const w = new TransferWindow(plan({ oack: true, windowSize: 4, totalBlocks: 20 }));
    w.handle({ kind: 'start', at: 0 });
    w.handle({ kind: 'ack', block: 0, at: 1 });
    const actions = w.handle({ kind: 'ack', block: 2, at: 2 });
    // Blocks 3 and 4 were sent already: they count as retransmissions.
    expect(actions[0]).toEqual({ kind: 'send', first: 3, count: 4, resent: 2 });
    expect(w.counters.retransmits).toBe(2);
  });

  it('never answers a duplicate ACK with data (Sorcerer’s Apprentice, catalogue T15)', () => {
    const w = new TransferWindow(plan({ oack: true, windowSize: 4, totalBlocks: 40 }));
    w.handle({ kind: 'start', at: 0 });
    w.handle({ kind: 'ack', block: 0, at: 1 });
    w.handle({ kind: 'ack', block: 4, at: 2 });
    for (let i = 0; i < 1000; i++) expect(w.handle({ kind: 'ack', block: 4, at: 3 })).toEqual([]);
    // Nor an older ACK, nor ACK 0 again.
    expect(w.handle({ kind: 'ack', block: 2, at: 3 })).toEqual([]);
    expect(w.handle({ kind: 'ack', block: 0, at: 3 })).toEqual([]);
    expect(w.counters.duplicateAcks).toBe(1002);
    expect(w.counters.retransmits).toBe(0);
  });

  it('ignores an ACK for a block not yet sent (catalogue T16)', () => {
    const w = new TransferWindow(plan({ totalBlocks: 20 }));
    w.handle({ kind: 'start', at: 0 });
    w.handle({ kind: 'ack', block: 1, at: 1 });
    expect(w.handle({ kind: 'ack', block: 7, at: 2 })).toEqual([]);
    expect(w.counters.acknowledged).toBe(1);
  });
});

describe('TransferWindow: timeouts', () => {
  it('retransmits what is outstanding with a doubling, capped wait, then gives up after the retries', () => {
    const w = new TransferWindow(plan({ totalBlocks: 5, retries: 5, stallLimitMs: 1_000_000 }));
    let at = 0;
    expect(arms(w.handle({ kind: 'start', at }))).toEqual([1000]);
    const waits: number[] = [];
    const resent: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      at += waits.at(-1) ?? 1000;
      const actions = w.handle({ kind: 'timeout', at });
      waits.push(...arms(actions));
      resent.push(...sends(actions));
    }
    expect(waits).toEqual([2000, 4000, 8000, 8000, 8000]);
    expect(resent).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(ends(w.handle({ kind: 'timeout', at: at + 8000 }))).toEqual([{ kind: 'timeout' }]);
    expect(w.counters.retransmits).toBe(5);
  });

  it('retransmits the whole window from the first unacknowledged block', () => {
    const w = new TransferWindow(plan({ oack: true, windowSize: 8, totalBlocks: 100 }));
    w.handle({ kind: 'start', at: 0 });
    w.handle({ kind: 'ack', block: 0, at: 1 });
    w.handle({ kind: 'ack', block: 8, at: 2 });
    expect(sends(w.handle({ kind: 'timeout', at: 1002 }))).toEqual([[9, 8]]);
    expect(w.counters.retransmits).toBe(8);
  });

  it('retransmits the OACK (and only it) until ACK 0', () => {
    const w = new TransferWindow(plan({ oack: true, windowSize: 16, retries: 3 }));
    const packets = [...sends(w.handle({ kind: 'start', at: 0 }))];
    for (let at = 1000; !w.finished; at += 10_000) packets.push(...sends(w.handle({ kind: 'timeout', at })));
    expect(packets).toEqual([['oack'], ['oack'], ['oack'], ['oack']]);
  });

  it('resets the backoff on progress', () => {
    const w = new TransferWindow(plan({ totalBlocks: 5 }));
    w.handle({ kind: 'start', at: 0 });
    expect(arms(w.handle({ kind: 'timeout', at: 1000 }))).toEqual([2000]);
    expect(arms(w.handle({ kind: 'ack', block: 1, at: 1500 }))).toEqual([1000]);
  });

  it('gives up at the stall limit, cutting the last wait to it (catalogue T19)', () => {
    const w = new TransferWindow(plan({ retries: 20, stallLimitMs: 30_000 }));
    let at = 0;
    let wait = arms(w.handle({ kind: 'start', at }))[0]!;
    const waits = [wait];
    for (;;) {
      at += wait;
      const actions = w.handle({ kind: 'timeout', at });
      if (ends(actions).length > 0) break;
      wait = arms(actions)[0]!;
      waits.push(wait);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 7000]);
    expect(at).toBe(30_000);
  });

  it('backoffMs doubles and caps', () => {
    expect([0, 1, 2, 3, 4, 60].map((n) => backoffMs(500, 3000, n))).toEqual([
      500, 1000, 2000, 3000, 3000, 3000,
    ]);
  });
});

describe('TransferWindow: the client’s ERROR', () => {
  it('ERROR 8 in answer to the OACK is the EDK2 tsize probe', () => {
    const w = new TransferWindow(plan({ oack: true }));
    w.handle({ kind: 'start', at: 0 });
    expect(ends(w.handle({ kind: 'error', code: 8, at: 1 }))).toEqual([{ kind: 'probe' }]);
  });

  it('ERROR 8 after ACK 0, another code, or none is a peer error', () => {
    for (const [code, confirm] of [
      [8, true],
      [1, false],
      [undefined, false],
    ] as const) {
      const w = new TransferWindow(plan({ oack: true }));
      w.handle({ kind: 'start', at: 0 });
      if (confirm) w.handle({ kind: 'ack', block: 0, at: 1 });
      expect(ends(w.handle({ kind: 'error', code, at: 2 }))).toEqual([{ kind: 'peer-error', code }]);
    }
  });
});

describe('TransferWindow: block numbers wrap 65535 → 0 (catalogue T20)', () => {
  it('completes a transfer of 70000 blocks acknowledged by u16 numbers', () => {
    const total = 70_000;
    const w = new TransferWindow(plan({ oack: true, windowSize: 16, totalBlocks: total }));
    w.handle({ kind: 'start', at: 0 });
    let actions = w.handle({ kind: 'ack', block: 0, at: 0 });
    let sentUpTo = 0;
    while (!w.finished) {
      const send = actions.find((a) => a.kind === 'send');
      if (send?.kind !== 'send') throw new Error('expected a send');
      expect(send.first).toBe(sentUpTo + 1);
      sentUpTo = send.first + send.count - 1;
      actions = w.handle({ kind: 'ack', block: sentUpTo % 65536, at: 0 });
    }
    expect(sentUpTo).toBe(total);
    expect(w.counters).toEqual({ acknowledged: total, retransmits: 0, duplicateAcks: 0 });
  });
});

describe('TransferWindow: properties', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 65535 }) }),
    fc.record({ kind: fc.constant('ack-next' as const) }),
    fc.record({ kind: fc.constant('timeout' as const) }),
  );

  it('never sends past the end or more than a window, and never answers an ACK that moves nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 32 }),
        fc.boolean(),
        fc.array(event, { maxLength: 200 }),
        (totalBlocks, windowSize, oack, events) => {
          const w = new TransferWindow(
            plan({ totalBlocks, windowSize, oack, retries: 50, stallLimitMs: 1e12 }),
          );
          let at = 0;
          let highest = 0;
          const check = (actions: readonly WindowAction[], before: number) => {
            for (const a of actions) {
              if (a.kind !== 'send') continue;
              expect(a.first).toBeGreaterThanOrEqual(1);
              expect(a.count).toBeLessThanOrEqual(windowSize);
              expect(a.first + a.count - 1).toBeLessThanOrEqual(totalBlocks);
              // Nothing before the client's first ACK beyond DATA 1 or the OACK (T21).
              if (before === 0 && !w.confirmed) expect(a.first + a.count - 1).toBe(1);
              highest = Math.max(highest, a.first + a.count - 1);
            }
          };
          check(w.handle({ kind: 'start', at }), 0);
          for (const e of events) {
            at += 1000;
            const before = w.counters;
            const wasConfirmed = w.confirmed;
            const block = e.kind === 'ack' ? e.block : e.kind === 'ack-next' ? highest % 65536 : undefined;
            const actions =
              block === undefined ? w.handle({ kind: 'timeout', at }) : w.handle({ kind: 'ack', block, at });
            const moved = w.counters.acknowledged !== before.acknowledged || w.confirmed !== wasConfirmed;
            if (block !== undefined && !moved) {
              expect(actions).toEqual([]);
            }
            check(actions, before.acknowledged);
            if (w.finished) break;
          }
        },
      ),
    );
  });

  it('nextOnFullAck predicts exactly the window an ACK of everything sent releases (the autopilot applies it)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 32 }),
        fc.boolean(),
        fc.array(event, { maxLength: 100 }),
        (totalBlocks, windowSize, oack, events) => {
          const settings = plan({ totalBlocks, windowSize, oack, retries: 50, stallLimitMs: 1e12 });
          const w = new TransferWindow(settings);
          expect(w.nextOnFullAck()).toBeUndefined(); // not started
          const history: WindowEvent[] = [];
          let highest = 0;
          const take = (event: WindowEvent) => {
            history.push(event);
            for (const a of w.handle(event))
              if (a.kind === 'send') highest = Math.max(highest, a.first + a.count - 1);
          };
          take({ kind: 'start', at: 0 });
          for (const [i, e] of events.entries()) {
            if (w.finished) break;
            // The prediction, against a twin that has seen the same events and now gets the full ACK.
            const predicted = w.nextOnFullAck();
            const twin = new TransferWindow(settings);
            for (const past of history) twin.handle(past);
            const at = (i + 1) * 1000;
            const sent = twin
              .handle({ kind: 'ack', block: highest % 65536, at })
              .filter((a) => a.kind === 'send');
            if (predicted === undefined) {
              expect(sent).toEqual([]);
            } else {
              expect(predicted.ack).toBe(highest);
              expect(sent).toEqual([
                { kind: 'send', first: predicted.first, count: predicted.count, resent: 0 },
              ]);
            }
            const block = e.kind === 'ack' ? e.block : e.kind === 'ack-next' ? highest % 65536 : undefined;
            take(block === undefined ? { kind: 'timeout', at } : { kind: 'ack', block, at });
          }
        },
      ),
    );
  });
});
