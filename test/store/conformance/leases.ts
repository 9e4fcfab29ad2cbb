import { describe, expect, it } from 'vitest';
import { type ClientId, clientIdFromMac, type Lease } from '../../../src/inventory/lease.js';
import { InvalidInputError, LeaseConflictError, StoreDataError } from '../../../src/store/errors.js';
import type { Ipv4 } from '../../../src/values/ipv4.js';
import type { Mac } from '../../../src/values/mac.js';
import { memoryLogger } from '../../support/logger.js';
import { ip, lease, mac, OTHER_SUBNET, settle, SUBNET } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const HOUR = 3_600_000;

export function leaseConformance(harness: StoreHarness): void {
  describe('leases: commit', () => {
    it('commits an offer, then the binding, and re-commits idempotently (retransmissions, renewals)', async () => {
      const { store, clock } = await fresh(harness);
      const t = clock.now();
      const offer = lease(1, '192.0.2.10', t + 60_000, { state: 'offered' });
      expect(await store.leases.commit(offer)).toEqual(offer);
      const bound: Lease = {
        ...offer,
        state: 'bound',
        expiresAt: t + HOUR,
        hostname: 'web-1',
        relayAgentInfo: '0104aabbccdd',
      };
      expect(await store.leases.commit(bound)).toEqual(bound);
      expect(await store.leases.commit(bound)).toEqual(bound);
      const renewed = { ...bound, expiresAt: t + 2 * HOUR };
      expect(await store.leases.commit(renewed)).toEqual(renewed);
      expect(await store.leases.findByAddress(ip('192.0.2.10'))).toEqual(renewed);
      expect(await store.leases.findByClient(SUBNET, bound.clientId)).toEqual(renewed);
      expect(await store.leases.findByClient(OTHER_SUBNET, bound.clientId)).toBeUndefined();
      expect(await store.leases.listBySubnet(SUBNET)).toEqual([renewed]);
    });

    it('keeps a bound lease bound when the same client is offered it again (catalogue I2, I3)', async () => {
      const { store, clock } = await fresh(harness);
      const t = clock.now();
      const bound = await store.leases.commit(lease(1, '192.0.2.10', t + HOUR, { hostname: 'pxe' }));
      // The PXE ROM got its ACK; iPXE starts over with a DISCOVER and the server offers the same address.
      const reoffer = lease(1, '192.0.2.10', t + 60_000, {
        state: 'offered',
        hostname: 'ipxe',
        relayAgentInfo: '0104aabbccdd',
      });
      expect(await store.leases.commit(reoffer)).toEqual(bound);
      expect(await store.leases.findByAddress(bound.address)).toEqual(bound);
      expect(await store.leases.expire(t + 60_000)).toEqual([]); // the offer's end is not the binding's
      // An offer that outlasts what is left of the binding extends it; it stays bound.
      clock.advance(HOUR - 30_000);
      const outlasting = { ...reoffer, expiresAt: clock.now() + 60_000 };
      expect(await store.leases.commit(outlasting)).toEqual({ ...bound, expiresAt: outlasting.expiresAt });
      // The client's REQUEST then binds it as usual, with what it says now.
      const rebound = { ...reoffer, state: 'bound' as const, expiresAt: clock.now() + HOUR };
      expect(await store.leases.commit(rebound)).toEqual(rebound);
      // A binding past its expiry (not swept yet) is over: an offer replaces it like any other.
      clock.advance(HOUR);
      const late = lease(1, '192.0.2.10', clock.now() + 60_000, { state: 'offered' });
      expect(await store.leases.commit(late)).toEqual(late);
    });

    it('refuses an address held by another client (LeaseConflictError) and leaves the holder alone', async () => {
      const { store, clock } = await fresh(harness);
      const holder = await store.leases.commit(lease(1, '192.0.2.10', clock.now() + HOUR));
      for (const state of ['offered', 'bound'] as const) {
        const attempt = store.leases.commit(lease(2, '192.0.2.10', clock.now() + HOUR, { state }));
        await expect(attempt).rejects.toThrow(LeaseConflictError);
        await expect(attempt).rejects.toMatchObject({
          code: 'FLEETBOOT_LEASE_CONFLICT',
          reason: 'address-held',
          holder,
        });
      }
      // The same client from another subnet (a misconfigured relay) does not get it either.
      await expect(
        store.leases.commit(
          lease(1, '192.0.2.10', clock.now() + HOUR, { subnet: { ...SUBNET, prefixLength: 25 } }),
        ),
      ).rejects.toMatchObject({ reason: 'address-held' });
      expect(await store.leases.findByAddress(ip('192.0.2.10'))).toEqual(holder);
    });

    it('refuses a second active address for one client in one subnet, but not in another subnet', async () => {
      const { store, clock } = await fresh(harness);
      const first = await store.leases.commit(lease(1, '192.0.2.10', clock.now() + HOUR));
      const second = store.leases.commit(lease(1, '192.0.2.11', clock.now() + HOUR, { state: 'offered' }));
      await expect(second).rejects.toThrow(LeaseConflictError);
      await expect(second).rejects.toMatchObject({ reason: 'client-holds-another', holder: first });
      expect(await store.leases.findByAddress(ip('192.0.2.11'))).toBeUndefined();
      const elsewhere = lease(1, '198.51.100.10', clock.now() + HOUR, { subnet: OTHER_SUBNET });
      expect(await store.leases.commit(elsewhere)).toEqual(elsewhere);
      // Once the first is released, the client may take another address.
      await store.leases.release(ip('192.0.2.10'), first.clientId);
      expect((await store.leases.commit(lease(1, '192.0.2.11', clock.now() + HOUR))).address).toBe(
        '192.0.2.11',
      );
    });

    it('keeps addresses and clients unique when commits race (catalogue I3)', async () => {
      const { store, clock } = await fresh(harness);
      const sameAddress = await settle(
        Array.from({ length: 12 }, (_, i) => store.leases.commit(lease(i, '192.0.2.20', clock.now() + HOUR))),
      );
      expect(sameAddress.ok).toHaveLength(1);
      for (const error of sameAddress.failed) expect(error).toMatchObject({ reason: 'address-held' });

      const sameClient = await settle(
        Array.from({ length: 12 }, (_, i) =>
          store.leases.commit(lease(100, `192.0.2.${30 + i}`, clock.now() + HOUR)),
        ),
      );
      expect(sameClient.ok).toHaveLength(1);
      for (const error of sameClient.failed) expect(error).toMatchObject({ reason: 'client-holds-another' });

      const active = await store.leases.listBySubnet(SUBNET);
      expect(active).toHaveLength(2);
      expect(new Set(active.map((l) => l.clientId)).size).toBe(2);
    });

    it('refuses leases that could not be loaded back or break the model (CVE-2019-6474)', async () => {
      const { store, clock } = await fresh(harness);
      const valid = lease(1, '192.0.2.10', clock.now() + HOUR);
      const invalid: [string, Lease][] = [
        ['empty client id', { ...valid, clientId: '' as ClientId }],
        ['one-byte client id', { ...valid, clientId: '01' as ClientId }],
        ['odd hex', { ...valid, clientId: '01525' as ClientId }],
        ['address outside the subnet', { ...valid, address: ip('198.51.100.7') }],
        ['released via commit', { ...valid, state: 'released' }],
        ['unknown state', { ...valid, state: 'reserved' as never }],
        ['bad relay agent info', { ...valid, relayAgentInfo: '01 02' }],
        ['NUL in hostname', { ...valid, hostname: 'a\u0000' }],
        ['empty hostname (null means none)', { ...valid, hostname: '' }],
        ['negative expiry', { ...valid, expiresAt: -1 }],
        ['fractional expiry', { ...valid, expiresAt: 1.5 }],
        ['bad MAC', { ...valid, mac: 'zz' as never }],
      ];
      for (const [why, bad] of invalid) {
        await expect(store.leases.commit(bad), why).rejects.toThrow(InvalidInputError);
      }
      expect(
        await store.leases.listBySubnet(SUBNET, ['offered', 'bound', 'declined', 'released', 'expired']),
      ).toEqual([]);
    });
  });

  describe('leases: lookups', () => {
    it('trusts typed lookup keys: one not in canonical form matches nothing and throws nothing', async () => {
      const { store, clock } = await fresh(harness);
      // A client whose identifier has letters, so that upper case is another spelling.
      const held = await store.leases.commit(lease(0xabcdef, '192.0.2.10', clock.now() + HOUR));
      for (const address of ['192.0.2.010', ' 192.0.2.10', 'not an address'] as Ipv4[]) {
        expect(await store.leases.findByAddress(address), address).toBeUndefined();
        expect(await store.leases.release(address, held.clientId), address).toBeUndefined();
        expect(
          await store.leases.decline(address, held.clientId, clock.now() + HOUR),
          address,
        ).toBeUndefined();
      }
      for (const client of [held.clientId.toUpperCase(), 'zz'] as ClientId[]) {
        expect(await store.leases.findByClient(SUBNET, client), client).toBeUndefined();
        expect(await store.leases.release(held.address, client), client).toBeUndefined();
      }
      const sloppySubnet = { network: ip('192.0.2.10'), prefixLength: 24 };
      expect(await store.leases.findByClient(sloppySubnet, held.clientId)).toBeUndefined();
      expect(await store.leases.listBySubnet(sloppySubnet)).toEqual([]);
      expect(await store.leases.findByAddress(held.address)).toEqual(held);
    });

    it('refuses typed values that are not canonical on write rather than re-spelling them', async () => {
      const { store, clock } = await fresh(harness);
      const valid = lease(0xabcdef, '192.0.2.10', clock.now() + HOUR);
      const sloppy: [string, Lease][] = [
        ['upper-case MAC', { ...valid, mac: valid.mac.toUpperCase() as Mac }],
        ['upper-case client id', { ...valid, clientId: valid.clientId.toUpperCase() as ClientId }],
        ['address with a space', { ...valid, address: ' 192.0.2.10' as Ipv4 }],
        ['server id with a leading zero', { ...valid, serverId: '192.0.2.01' as Ipv4 }],
        ['subnet with host bits', { ...valid, subnet: { network: ip('192.0.2.1'), prefixLength: 24 } }],
      ];
      for (const [why, bad] of sloppy) {
        await expect(store.leases.commit(bad), why).rejects.toThrow(InvalidInputError);
      }
      expect(await store.leases.listBySubnet(SUBNET)).toEqual([]);
    });
  });

  describe('leases: release, decline, expiry', () => {
    it('releases only for the client that holds the address; the address is then free', async () => {
      const { store, clock } = await fresh(harness);
      const held = await store.leases.commit(lease(1, '192.0.2.10', clock.now() + HOUR));
      const stranger = clientIdFromMac(mac(2));
      // Catalogue D27: a RELEASE for an address leased to another client is ignored.
      expect(await store.leases.release(held.address, stranger)).toBeUndefined();
      expect(await store.leases.findByAddress(held.address)).toEqual(held);
      clock.advance(1000);
      const released = await store.leases.release(held.address, held.clientId);
      expect(released).toEqual({ ...held, state: 'released', expiresAt: clock.now() });
      expect(await store.leases.release(held.address, held.clientId)).toBeUndefined();
      expect(await store.leases.listBySubnet(SUBNET)).toEqual([]);
      // The client's last address is still what findByClient suggests…
      expect(await store.leases.findByClient(SUBNET, held.clientId)).toEqual(released);
      // …but another client may now take it.
      const taken = await store.leases.commit(lease(2, '192.0.2.10', clock.now() + HOUR));
      expect(await store.leases.findByAddress(held.address)).toEqual(taken);
    });

    it('quarantines a declined address for everyone until its probation expires (catalogue P5, D26)', async () => {
      const { store, clock } = await fresh(harness);
      const held = await store.leases.commit(lease(1, '192.0.2.10', clock.now() + HOUR));
      const probation = clock.now() + 10 * 60_000;
      expect(await store.leases.decline(held.address, clientIdFromMac(mac(2)), probation)).toBeUndefined();
      const declined = await store.leases.decline(held.address, held.clientId, probation);
      expect(declined).toEqual({ ...held, state: 'declined', expiresAt: probation });
      expect(await store.leases.findByClient(SUBNET, held.clientId)).toBeUndefined();
      expect(await store.leases.listBySubnet(SUBNET, ['declined'])).toEqual([declined]);
      for (const client of [1, 2]) {
        await expect(
          store.leases.commit(lease(client, '192.0.2.10', clock.now() + HOUR)),
        ).rejects.toMatchObject({
          reason: 'address-held',
          holder: declined,
        });
      }
      // The decliner is free to take another address meanwhile.
      await store.leases.commit(lease(1, '192.0.2.11', clock.now() + HOUR));

      expect(await store.leases.expire(probation - 1)).toEqual([]);
      const expired = await store.leases.expire(probation);
      expect(expired).toEqual([{ ...declined, state: 'expired' }]);
      expect((await store.leases.commit(lease(2, '192.0.2.10', clock.now() + HOUR))).clientId).toBe(
        clientIdFromMac(mac(2)),
      );
    });

    it('expires active leases at their expiry instant, in address order, and frees them', async () => {
      const { store, clock } = await fresh(harness);
      const t = clock.now();
      await store.leases.commit(lease(1, '192.0.2.100', t + 1000));
      await store.leases.commit(lease(2, '192.0.2.9', t + 1000, { state: 'offered' }));
      await store.leases.commit(lease(3, '192.0.2.10', t + 2000));
      const other = await store.leases.commit(lease(4, '198.51.100.5', t + 500, { subnet: OTHER_SUBNET }));

      const first = await store.leases.expire(t + 1000);
      expect(first.map((l) => [l.address, l.state])).toEqual([
        ['192.0.2.9', 'expired'],
        ['192.0.2.100', 'expired'],
        ['198.51.100.5', 'expired'],
      ]);
      expect(await store.leases.expire(t + 1000)).toEqual([]);
      expect((await store.leases.listBySubnet(SUBNET)).map((l) => l.address)).toEqual(['192.0.2.10']);
      expect((await store.leases.listBySubnet(SUBNET, ['expired', 'bound'])).map((l) => l.address)).toEqual([
        '192.0.2.9',
        '192.0.2.10',
        '192.0.2.100',
      ]);
      expect(await store.leases.findByClient(OTHER_SUBNET, other.clientId)).toEqual({
        ...other,
        state: 'expired',
      });
      // A client whose lease expired takes its address back while nobody else has it.
      expect((await store.leases.commit(lease(1, '192.0.2.100', t + HOUR))).state).toBe('bound');
      await expect(store.leases.expire(-5)).rejects.toThrow(InvalidInputError);
    });

    it('leaves a malformed row out of lists, logged, and reports it on direct reads (catalogue P2)', async () => {
      const { target, clock } = await fresh(harness);
      const { logger, lines } = memoryLogger();
      const store = await target.open({ logger, now: clock.now });
      const good = await store.leases.commit(lease(1, '192.0.2.10', clock.now() + HOUR));
      // What a buggy older version or a hand edit could leave behind: a lease whose MAC is not a MAC (here,
      // something that must not end up in a log).
      await target.execute(
        `insert into leases (address, address_num, subnet, client_id, mac, state, expires_at, server_id, updated_at)
         values ('192.0.2.11', 3221225995, '192.0.2.0/24', '01aabbccddeeff', 'hunter2-secret', 'bound', 1, '192.0.2.1', 1)`,
      );
      expect(await store.leases.listBySubnet(SUBNET)).toEqual([good]);
      expect(lines()).toContainEqual(
        expect.objectContaining({
          level: 50,
          table: 'leases',
          key: '192.0.2.11',
          reason: 'invalid MAC address: expected six hex octets such as 52:54:00:12:34:56',
          msg: 'skipped a malformed row',
        }),
      );
      const read = store.leases.findByAddress(ip('192.0.2.11'));
      await expect(read).rejects.toThrow(StoreDataError);
      // The table, the key and the kind of problem; never the stored value.
      await expect(read).rejects.not.toThrow(/hunter2/);
      expect(JSON.stringify(lines())).not.toContain('hunter2');
      // Still held: the database constraint protects the address even though the row cannot be read.
      await expect(store.leases.commit(lease(3, '192.0.2.11', clock.now() + HOUR))).rejects.toThrow(
        LeaseConflictError,
      );
    });
  });
}
