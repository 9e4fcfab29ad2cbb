// Event sequences of boots, for the timeline and diagnosis tests. TFTP events are made by the real recorder's
// transferEvent (tftp-timeline.ts); DHCP, HTTP and installer events carry the details their recorders write
// (dhcp/record.ts + dhcp/details.ts, provision/http-boot.ts, inventory/lifecycle.ts).
import type { JsonObject } from '../../src/inventory/json.js';
import type { MachineEvent } from '../../src/inventory/event.js';
import type { InstallMark, Machine, MachineId, MachineState } from '../../src/inventory/machine.js';
import type { TransferRecord, TransferResult } from '../../src/net/tftp-record.js';
import { transferEvent } from '../../src/tftp-timeline.js';
import { parseMac } from '../../src/values/mac.js';

export const T0 = Date.UTC(2026, 10, 27, 12);
export const MAC = parseMac('52:54:00:00:00:01');
export const ID = '00000000-0000-4000-8000-000000000001' as MachineId;

export function machine(state: MachineState, mark?: Partial<InstallMark>): Machine {
  return {
    id: ID,
    macs: [MAC],
    uuid: null,
    arch: 0,
    vendorClass: null,
    hostname: 'node01',
    labels: {},
    reservedIp: null,
    profile: 'debian12',
    state,
    installMark:
      mark === undefined
        ? null
        : { by: 'alice', at: T0, expiresAt: T0 + 6 * 3_600_000, tokenHash: 'a'.repeat(64), ...mark },
    version: 3,
    createdAt: T0 - 86_400_000,
    updatedAt: T0,
  };
}

/** Builds a timeline in order: each call appends one event `ms` after the previous one. */
export class Timeline {
  readonly events: MachineEvent[] = [];
  private at = T0;

  constructor(start = T0) {
    this.at = start;
  }

  get now(): number {
    return this.at;
  }

  wait(ms: number): this {
    this.at += ms;
    return this;
  }

  add(source: MachineEvent['source'], kind: string, details: JsonObject, ms = 100): this {
    this.at += ms;
    this.events.push({
      id: this.events.length + 1,
      at: this.at,
      machineId: ID,
      mac: MAC,
      source,
      kind,
      details,
    });
    return this;
  }

  /** DISCOVER, OFFER, REQUEST, ACK of a client with this firmware and option 93 arch. */
  dora(client: { firmware: string; arch: number; ipxe?: boolean; bootFile: string }): this {
    const request = {
      xid: 0x1234,
      interface: 'fb0',
      netboot: true,
      firmware: client.firmware,
      ipxe: client.ipxe ?? false,
      vendor: 'pxe',
      arch: client.arch,
    };
    return this.add('dhcp', 'DHCPDISCOVER', request)
      .add('dhcp', 'DHCPOFFER', { xid: 0x1234, assignedAddress: '192.0.2.10', bootFile: client.bootFile })
      .add('dhcp', 'DHCPREQUEST', { ...request, requestedAddress: '192.0.2.10' })
      .add('dhcp', 'DHCPACK', { xid: 0x1234, assignedAddress: '192.0.2.10', bootFile: client.bootFile });
  }

  /** A TFTP transfer as the server records it, through the real recorder. */
  tftp(
    file: string,
    result: TransferResult = { kind: 'ok' },
    counts: { size?: number; blocks?: number; retransmits?: number } = {},
  ): this {
    const size = counts.size ?? 65_536;
    const record: TransferRecord = {
      file,
      path: file,
      origin: 'root',
      client: { address: '192.0.2.10', port: 2070 },
      server: { address: '192.0.2.1', port: 69 },
      mode: 'octet',
      options: {
        requested: [],
        accepted: [],
        ignored: [],
        effective: { blockSize: 1468, windowSize: 4, timeoutSeconds: 1, transferSize: size },
      },
      size,
      bytes: Math.min(size, (counts.blocks ?? Math.ceil(size / 1468)) * 1468),
      blocks: counts.blocks ?? Math.floor(size / 1468) + 1,
      retransmits: counts.retransmits ?? 0,
      duplicateAcks: 0,
      startedAt: this.at + 100,
      durationMs: 40,
      result,
    };
    this.at += 100;
    const event = transferEvent(record, MAC);
    this.events.push({
      id: this.events.length + 1,
      at: event.at ?? this.at,
      machineId: ID,
      mac: MAC,
      source: event.source,
      kind: event.kind,
      details: event.details ?? {},
    });
    return this;
  }

  http(file: string, status = 200, complete = true): this {
    return this.add('http', 'HTTP GET', {
      file,
      status,
      bytes: 4096,
      complete,
      ms: 12,
      client: '192.0.2.10',
    });
  }

  ipxeScript(action = 'install'): this {
    return this.add('http', 'iPXE script', { action, reason: 'marked for install' });
  }

  marked(): this {
    return this.add('lifecycle', 'install marked', { from: 'ready', to: 'queued', by: 'alice' });
  }

  answer(): this {
    return this.add('installer', 'answer-file served', {
      from: 'queued',
      to: 'installing',
      file: 'preseed.cfg',
    });
  }

  progress(): this {
    return this.add('installer', 'install progress', { progress: { step: 'partman' } });
  }

  done(): this {
    return this.add('installer', 'install done', { from: 'installing', to: 'installed' });
  }
}
