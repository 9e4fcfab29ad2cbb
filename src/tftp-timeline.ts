import type { JsonObject } from './inventory/json.js';
import type { NewMachineEvent } from './inventory/event.js';
import type { TransferRecord } from './net/tftp-record.js';
import type { Logger } from './observability/logger.js';
import type { LeaseStore, EventLog } from './store/types.js';
import { parseIpv4 } from './values/ipv4.js';
import type { Mac } from './values/mac.js';

/**
 * Puts each finished TFTP transfer on the timeline of the machine that made it (design.md §1.6). TFTP knows a
 * client only by its address, so the machine is the one whose lease holds that address; a client without a lease
 * (another DHCP server's, until proxyDHCP records its exchanges) is logged at debug, not guessed at.
 */
export function tftpTimelineRecorder(deps: {
  leases: LeaseStore;
  events: EventLog;
  logger: Logger;
}): (record: TransferRecord) => void {
  return (record) => {
    void recordTransfer(deps, record).catch((error: unknown) => {
      deps.logger.warn(
        { err: error, client: record.client.address },
        'could not record a TFTP transfer event',
      );
    });
  };
}

async function recordTransfer(
  deps: { leases: LeaseStore; events: EventLog; logger: Logger },
  record: TransferRecord,
): Promise<void> {
  let address;
  try {
    address = parseIpv4(record.client.address);
  } catch {
    return; // an IPv6 client: no DHCPv4 lease can name its machine
  }
  const lease = await deps.leases.findByAddress(address);
  if (lease === undefined) {
    deps.logger.debug(
      { client: record.client.address, file: record.path },
      'TFTP transfer from a client without a lease',
    );
    return;
  }
  await deps.events.append(transferEvent(record, lease.mac));
}

/** The event of one transfer: what the dashboard's boot timeline and the stall diagnosis read. */
export function transferEvent(record: TransferRecord, mac: Mac): NewMachineEvent {
  const effective = record.options.effective;
  const details: JsonObject = {
    file: record.path ?? null,
    origin: record.origin ?? null,
    client: `${record.client.address}:${record.client.port}`,
    result: record.result.kind,
    ...resultDetails(record),
    bytes: record.bytes,
    blocks: record.blocks,
    size: record.size ?? null,
    retransmits: record.retransmits,
    durationMs: Math.round(record.durationMs),
    blksize: effective?.blockSize ?? null,
    windowsize: effective?.windowSize ?? null,
    tsize: effective?.transferSize ?? null,
  };
  return { at: record.startedAt, mac, source: 'tftp', kind: 'TFTP RRQ', details };
}

function resultDetails(record: TransferRecord): JsonObject {
  const result = record.result;
  switch (result.kind) {
    case 'ok':
    case 'probe':
    case 'timeout':
      return {};
    case 'aborted':
      return { reason: result.reason };
    case 'error':
      return result.from === 'server'
        ? { errorFrom: 'server', errorCode: result.code, reason: result.reason }
        : { errorFrom: 'client', errorCode: result.code ?? null, message: result.message };
  }
}
