// Captured boot packets (issue 6 item 5) in both dialects: attributed by MAC, read back byte for byte in time order,
// bounded per machine by count and by octets, gone with their machine, kept across a reopen.
import { describe, expect, it } from 'vitest';
import type { CaptureBound, NewCapturedPacket } from '../../../src/inventory/capture.js';
import { InvalidInputError } from '../../../src/store/errors.js';
import type { Mac } from '../../../src/values/mac.js';
import { ip, mac } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const WIDE: CaptureBound = { packets: 1000, bytes: 1024 * 1024 };

/** The n-th packet of a client: its payload says which (n in its first octets), `size` octets long. */
function packet(client: Mac, n: number, overrides: Partial<NewCapturedPacket> = {}): NewCapturedPacket {
  const payload = new Uint8Array(overrides.payload?.length ?? 8);
  payload[0] = n >>> 8;
  payload[1] = n & 0xff;
  return {
    at: 1_767_225_600_000 + n,
    mac: client,
    protocol: 'dhcp',
    direction: n % 2 === 0 ? 'in' : 'out',
    source: { address: ip('0.0.0.0'), port: 68 },
    destination: { address: ip('255.255.255.255'), port: 67 },
    payload,
    payloadLength: payload.length,
    ...overrides,
    ...(overrides.payload === undefined
      ? {}
      : { payload: Uint8Array.from([n >>> 8, n & 0xff, ...overrides.payload.subarray(2)]) }),
  };
}

const numbers = (packets: readonly { payload: Uint8Array }[]) =>
  packets.map((p) => ((p.payload[0] ?? 0) << 8) | (p.payload[1] ?? 0));

export function captureConformance(harness: StoreHarness): void {
  describe('captured packets', () => {
    it('keeps packets of enrolled MACs as given, in time order, and names the others', async () => {
      const { store } = await fresh(harness);
      const { machine } = await store.inventory.recordContact({ mac: mac(1) });
      const data: NewCapturedPacket = {
        at: 1_767_225_600_000,
        mac: mac(1),
        protocol: 'tftp',
        direction: 'out',
        source: { address: ip('192.0.2.1'), port: 50_123 },
        destination: { address: ip('192.0.2.10'), port: 2070 },
        payload: Uint8Array.of(0, 3, 0, 1), // a DATA header, the block itself not kept
        payloadLength: 1472,
      };
      const unowned = await store.captures.append(
        [packet(mac(1), 2), packet(mac(9), 1), data, packet(mac(1), 1)],
        WIDE,
      );
      expect(unowned).toEqual([1]);
      const listed = await store.captures.list(machine.id);
      // By time, not by append order: the DATA (…000), then packet 1 (…001), then packet 2 (…002).
      expect(listed.map((p) => p.at)).toEqual([1_767_225_600_000, 1_767_225_600_001, 1_767_225_600_002]);
      const [first] = listed;
      expect(first).toEqual({ ...data, id: first?.id, machineId: machine.id });
      expect(first?.payload).toBeInstanceOf(Uint8Array);
      expect(
        await store.captures.list((await store.inventory.recordContact({ mac: mac(2) })).machine.id),
      ).toEqual([]);
    });

    it('keeps only the newest packets of each machine within the bound, by count and by octets', async () => {
      const { store } = await fresh(harness);
      const a = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      const b = (await store.inventory.recordContact({ mac: mac(2) })).machine;
      const bound: CaptureBound = { packets: 5, bytes: 1000 };
      for (let batch = 0; batch < 3; batch++) {
        await store.captures.append(
          Array.from({ length: 4 }, (_, i) => packet(mac(1), batch * 4 + i)),
          bound,
        );
      }
      await store.captures.append([packet(mac(2), 100)], bound);
      // 12 appended, 5 kept: the newest, whatever order their times say.
      expect(numbers(await store.captures.list(a.id))).toEqual([7, 8, 9, 10, 11]);
      expect(numbers(await store.captures.list(b.id))).toEqual([100]); // another machine's bound is its own
      // 300 octets each: three fit in 1000, a fourth would not.
      const big = new Uint8Array(300);
      await store.captures.append(
        [0, 1, 2, 3].map((n) => packet(mac(2), 200 + n, { payload: big })),
        bound,
      );
      expect(numbers(await store.captures.list(b.id))).toEqual([201, 202, 203]);
      // One packet larger than the bound is not kept at all: the bound holds.
      await store.captures.append([packet(mac(2), 300, { payload: new Uint8Array(1001) })], bound);
      expect(numbers(await store.captures.list(b.id))).toEqual([]);
    });

    it('appends and trims a batch larger than one INSERT, over more machines than one IN list holds', async () => {
      const { store } = await fresh(harness);
      // 70 machines (64 + 4 + 1 + 1 keys); 3 packets each and one unenrolled MAC between them: 281 rows.
      const machines = [];
      for (let m = 0; m < 70; m++)
        machines.push((await store.inventory.recordContact({ mac: mac(m) })).machine);
      const stranger = mac(500);
      const batch: NewCapturedPacket[] = [];
      for (let n = 0; n < 3; n++) {
        for (let m = 0; m < 70; m++) batch.push(packet(mac(m), n * 1000 + m));
        batch.push(packet(stranger, 9000 + n));
      }
      batch.push(...Array.from({ length: 67 }, (_, m) => packet(mac(m), 5000 + m)));
      const unowned = await store.captures.append(batch, { packets: 3, bytes: 1024 * 1024 });
      expect(unowned).toEqual([70, 141, 212]);
      // Machines 0-66 got a fourth packet and keep their newest three; 67-69 keep all three.
      for (const [m, machine] of machines.entries()) {
        const expected = m < 67 ? [1000 + m, 2000 + m, 5000 + m] : [m, 1000 + m, 2000 + m];
        expect(numbers(await store.captures.list(machine.id))).toEqual(expected);
      }
    });

    it('goes with its machine on forget, and a machine enrolled again with the MAC starts empty', async () => {
      const { store } = await fresh(harness);
      const { machine } = await store.inventory.recordContact({ mac: mac(1) });
      await store.captures.append([packet(mac(1), 1), packet(mac(1), 2)], WIDE);
      expect(await store.inventory.forget(machine.id)).toBe(true);
      expect(await store.captures.list(machine.id)).toEqual([]);
      const again = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      expect(await store.captures.list(again.id)).toEqual([]);
      expect(await store.captures.append([packet(mac(1), 3)], WIDE)).toEqual([]);
      expect(numbers(await store.captures.list(again.id))).toEqual([3]);
    });

    it('keeps a capture across a reopen', async () => {
      const { target, store } = await fresh(harness);
      const { machine } = await store.inventory.recordContact({ mac: mac(1) });
      await store.captures.append([packet(mac(1), 1)], WIDE);
      const before = await store.captures.list(machine.id);
      await store.close();
      const reopened = await target.open();
      expect(await reopened.captures.list(machine.id)).toEqual(before);
    });

    it('refuses a packet it could not read back as given, and writes none of its batch', async () => {
      const { store } = await fresh(harness);
      const { machine } = await store.inventory.recordContact({ mac: mac(1) });
      const good = packet(mac(1), 1);
      for (const bad of [
        { ...good, payloadLength: 7 }, // shorter on the wire than what was kept
        { ...good, payloadLength: 65_508 },
        { ...good, source: { address: ip('0.0.0.0'), port: 65_536 } },
        { ...good, direction: 'sideways' as NewCapturedPacket['direction'] },
        { ...good, protocol: 'http' as NewCapturedPacket['protocol'] },
        { ...good, mac: '52-54-00-00-00-01' as Mac },
      ]) {
        await expect(store.captures.append([good, bad], WIDE)).rejects.toBeInstanceOf(InvalidInputError);
      }
      await expect(store.captures.append([good], { packets: 0, bytes: 10 })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      expect(await store.captures.list(machine.id)).toEqual([]);
    });
  });
}
