import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventRecorder } from '../../src/dhcp/events.js';
import { decodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';
import { openStore } from '../../src/store/open.js';
import type { Contact, EventLog } from '../../src/store/types.js';
import type { Mac } from '../../src/values/mac.js';
import type { Uuid } from '../../src/values/uuid.js';
import { golden } from '../protocol/dhcp4/support.js';
import { brokenEventLog, brokenInventory } from '../support/broken-store.js';
import { memoryLogger } from '../support/logger.js';
import { discover, dropOf, harness, mac, replyOf, request, SERVER } from './support.js';

const A = { mac: mac(1) };

describe('DHCP events on the machine timeline (issue 3 item 7; design.md §1.6)', () => {
  it('records every message of a DORA, with the classification and the decision', async () => {
    const h = await harness();
    replyOf(await h.send(decodeDhcpMessage(golden('ipxe-bios-discover'))));
    replyOf(await h.send(decodeDhcpMessage(golden('ipxe-bios-request-selecting'))));
    await h.engine.flushEvents();
    const events = await h.store.events.list();
    expect(events.map((e) => e.kind)).toEqual(['DHCPDISCOVER', 'DHCPOFFER', 'DHCPREQUEST', 'DHCPACK']);
    expect(events.every((e) => e.source === 'dhcp' && e.mac === '52:54:00:fb:ca:10')).toBe(true);
    const [discoverEvent, offerEvent, requestEvent, ackEvent] = events;
    expect(discoverEvent?.details).toMatchObject({
      xid: 0x535f1757,
      interface: 'fb0',
      subnet: '198.18.0.0/24',
      netboot: true,
      firmware: 'bios',
      arch: 0,
      ipxe: true,
      vendor: 'pxe',
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01',
      clientIdentifier: '01525400fbca10',
    });
    expect(offerEvent?.details).toMatchObject({
      xid: 0x535f1757,
      assignedAddress: '198.18.0.100',
      addressSource: 'pool',
      bootFile: 'http://198.18.0.1:8080/boot.ipxe',
      destination: '255.255.255.255:68',
    });
    expect(requestEvent?.details).toMatchObject({
      requestedAddress: '198.18.0.131',
      serverIdentifier: SERVER,
    });
    expect(ackEvent?.details).toMatchObject({ assignedAddress: '198.18.0.131', state: 'selecting' });
    expect(events.every((e) => e.at === h.clock.now())).toBe(true);
  });

  it('enrols the client as a discovered machine on first contact, with MAC, UUID, arch and vendor class', async () => {
    const h = await harness();
    replyOf(await h.send(decodeDhcpMessage(golden('ovmf-x64-discover'))));
    await h.engine.flushEvents();
    const machine = await h.store.inventory.getByMac('52:54:00:fb:ca:11' as never);
    expect(machine).toMatchObject({
      state: 'discovered',
      macs: ['52:54:00:fb:ca:11'],
      uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02',
      arch: 7,
      vendorClass: 'PXEClient:Arch:00007:UNDI:003000',
    });
    const events = await h.store.events.list({ machineId: machine!.id });
    expect(events.map((e) => e.kind)).toEqual(['DHCPDISCOVER', 'DHCPOFFER']);
    expect(events.every((e) => e.machineId === machine!.id)).toBe(true);
  });

  it('records drops and NAKs with their reason', async () => {
    const h = await harness();
    dropOf(await h.send(request({ ...A, serverId: '198.18.0.2', requested: '198.18.0.9' })));
    replyOf(await h.send(request({ ...A, requested: '10.9.9.9' })));
    await h.engine.flushEvents();
    const events = await h.store.events.list();
    expect(events.map((e) => [e.kind, e.details.outcome ?? e.details.reason])).toEqual([
      ['DHCPREQUEST', 'not-for-us'],
      ['DHCPREQUEST', undefined],
      ['DHCPNAK', 'wrong-subnet'],
    ]);
  });

  it('writes events after the reply has been handed back, never before it', async () => {
    const order: string[] = [];
    const h = await harness({
      wrap: (store): { events: EventLog } => ({
        events: {
          append: (event) => {
            order.push(`append ${event.kind}`);
            return store.events.append(event);
          },
          appendMany: (events) => {
            order.push(`appendMany ${events.map((e) => e.kind).join(' ')}`);
            return store.events.appendMany(events);
          },
          list: (query) => store.events.list(query),
        },
      }),
    });
    replyOf(await h.send(discover(A)));
    order.push('reply');
    await h.engine.flushEvents();
    // One transaction for the exchange's two events, not one each.
    expect(order).toEqual(['reply', 'appendMany DHCPDISCOVER DHCPOFFER']);
    expect((await h.store.events.list()).map((e) => e.kind)).toEqual(['DHCPDISCOVER', 'DHCPOFFER']);
  });

  it('lets a datagram that arrives during a drain be answered before the next batch is written', async () => {
    const order: string[] = [];
    const h: Awaited<ReturnType<typeof harness>> = await harness({
      wrap: (store): { events: EventLog } => ({
        events: {
          append: (event) => store.events.append(event),
          appendMany: async (events) => {
            order.push(`append ${events.map((e) => `${e.kind} ${e.mac}`).join(', ')}`);
            if (order.length === 1) {
              // A datagram arrives while the first batch is being written.
              setImmediate(() => {
                void h.send(discover({ mac: mac(2) })).then(() => order.push('reply B'));
              });
            }
            return store.events.appendMany(events);
          },
          list: (query) => store.events.list(query),
        },
      }),
    });
    replyOf(await h.send(discover(A)));
    await h.engine.flushEvents();
    await h.engine.flushEvents();
    expect(order).toEqual([
      `append DHCPDISCOVER ${A.mac}, DHCPOFFER ${A.mac}`,
      'reply B',
      `append DHCPDISCOVER ${mac(2)}, DHCPOFFER ${mac(2)}`,
    ]);
  });

  it('serves clients when events and the inventory cannot be written, and counts what was lost', async () => {
    const h = await harness({ wrap: () => ({ events: brokenEventLog, inventory: brokenInventory() }) });
    expect(await h.dora(A)).toBe('198.18.0.100');
    await h.engine.flushEvents();
    const lost = await h.metrics.getSingleMetric('fleetboot_dhcp_events_lost_total')?.get();
    // Four events, and the contact twice: its first write failed while the REQUEST's commit was being made durable
    // (the engine's group commit yields to the event loop), so the REQUEST tried it again.
    expect(lost?.values[0]?.value).toBe(6);
    expect(h.logLines().filter((l) => l.msg === 'could not record DHCP events')).toHaveLength(1);
  });

  it('drops events beyond the queue bound rather than holding memory', async () => {
    const h = await harness({ engine: { maxQueuedEvents: 2 } });
    replyOf(await h.send(discover(A)));
    await h.engine.flushEvents();
    expect(await h.store.events.list()).toHaveLength(1); // the contact and the DISCOVER fit; the OFFER did not
    const lost = await h.metrics.getSingleMetric('fleetboot_dhcp_events_lost_total')?.get();
    expect(lost?.values[0]?.value).toBe(1);
  });
});

/** An EventRecorder over a fresh in-memory store, and every contact it hands the store to write. */
async function contactRecorder(options: { maxQueued?: number } = {}) {
  const store = await openStore('sqlite::memory:', {
    dataDir: mkdtempSync(path.join(tmpdir(), 'fb-events-')),
  });
  await store.migrate();
  onTestFinished(() => store.close());
  const written: Contact[] = [];
  const recorder = new EventRecorder({
    events: store.events,
    inventory: {
      ...store.inventory,
      recordContacts: (contacts) => {
        written.push(...contacts);
        return store.inventory.recordContacts(contacts);
      },
    },
    logger: memoryLogger('warn').logger,
    ...options,
  });
  return { store, recorder, written };
}

describe('EventRecorder contacts', () => {
  it('writes a contact once per MAC, and again only when the client says something new', async () => {
    const { store, recorder, written } = await contactRecorder();
    const a = mac(1) as Mac;
    const uuid = '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02' as Uuid;
    recorder.contact({ mac: a, uuid, arch: 7 });
    recorder.contact({ mac: a, uuid, arch: 7, vendorClass: null }); // the same, said twice
    await recorder.flush();
    recorder.contact({ mac: a, uuid, arch: 7 });
    recorder.contact({ mac: a, uuid, arch: 7, hostname: 'node1' }); // new: a host name
    recorder.contact({ mac: mac(2) as Mac });
    recorder.contact({ mac: a, uuid, arch: 7, hostname: 'node1' });
    recorder.contact({ mac: a, uuid, arch: 0, hostname: 'node1' }); // new: another arch
    recorder.contact({ mac: a, uuid, arch: 0, hostname: 'node1' });
    await recorder.flush();
    expect(written.map((c) => `${c.mac} ${c.hostname ?? '-'} ${String(c.arch ?? '-')}`)).toEqual([
      `${a} - 7`,
      `${a} node1 7`,
      `${mac(2)} - -`,
      `${a} node1 0`,
    ]);
    expect(await store.inventory.getByMac(a)).toMatchObject({ uuid, hostname: 'node1' });
  });

  it('writes a contact again when a full queue dropped it the first time', async () => {
    const { store, recorder, written } = await contactRecorder({ maxQueued: 2 });
    const other = mac(9) as Mac;
    recorder.event({ at: 1, mac: other, kind: 'DHCPDISCOVER', details: {} });
    recorder.event({ at: 2, mac: other, kind: 'DHCPOFFER', details: {} });
    const a = mac(1) as Mac;
    recorder.contact({ mac: a, arch: 7 }); // the queue is full: dropped
    await recorder.flush();
    expect(written).toEqual([]);
    recorder.contact({ mac: a, arch: 7 }); // the client's next message, the same details
    await recorder.flush();
    expect(written.map((c) => c.mac)).toEqual([a]);
    expect(await store.inventory.getByMac(a)).toMatchObject({ arch: 7 });
  });

  it('writes a contact again when only its UUID or its vendor class changed', async () => {
    const { recorder, written } = await contactRecorder();
    const a = mac(1) as Mac;
    recorder.contact({ mac: a, arch: 7, vendorClass: 'PXEClient:Arch:00007' });
    recorder.contact({ mac: a, arch: 7, vendorClass: 'PXEClient:Arch:00007' });
    recorder.contact({ mac: a, arch: 7, vendorClass: 'iPXE' }); // new vendor class
    recorder.contact({
      mac: a,
      arch: 7,
      vendorClass: 'iPXE',
      uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02' as Uuid,
    });
    await recorder.flush();
    expect(written).toHaveLength(3);
  });
});
