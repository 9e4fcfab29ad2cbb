import { randomBytes } from 'node:crypto';
import type { Clock } from '../../net/clock.js';
import { type DhcpProbeResult, type DhcpProbeTiming, runDhcpProbe } from '../../net/dhcp-probe.js';
import { hostIpv4Addresses, type InterfaceTable, interfaceMac } from '../../net/udp-interface-address.js';
import type { NetDeviceAddon } from '../../net/udp-netdev-addon.js';
import type { Logger } from '../../observability/logger.js';
import { encodeDhcpMessage } from '../../protocol/dhcp4/index.js';
import { type Mac, parseMac } from '../../values/mac.js';
import { type ForeignServer, isOwnReplyInPlace, type ProbeSelf, readProbeAnswer } from './answers.js';
import { probeDiscover } from './discover.js';

/**
 * 3 DISCOVERs 2 s apart, listening 6 s in all. A server may wait before it offers a new address: dnsmasq pings it
 * first and waits up to 3 s for an echo (PING_WAIT in its config.h), ISC dhcpd 1 s (ping-timeout); so a probe must
 * listen past 3 s, and retransmits in case a DISCOVER is lost, as a client would (RFC 2131 §4.1).
 */
export const DEFAULT_PROBE_TIMING: DhcpProbeTiming = { attempts: 3, intervalMs: 2000, waitMs: 6000 };

export interface SegmentProbeOptions {
  readonly interfaceName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timing?: DhcpProbeTiming;
  /** End at the first other server (enough to choose a mode), or listen the whole time (to name them all). */
  readonly stopAtFirst: boolean;
  /** Substitutes for tests. */
  readonly interfaces?: () => InterfaceTable;
  readonly addon?: NetDeviceAddon;
  readonly clientPort?: number;
  readonly destination?: { readonly address: string; readonly port: number };
}

/** What a probe of one segment found. */
export interface SegmentProbe {
  readonly interfaceName: string;
  /** Other DHCP servers that leased an address on the segment while we listened, each once (by server address). */
  readonly servers: readonly ForeignServer[];
  readonly transport: DhcpProbeResult;
}

/**
 * Asks one segment whether another DHCP server is there: our DISCOVER (discover.ts) from the interface's own MAC,
 * then every answer read by readProbeAnswer (answers.ts), which ignores our own packets.
 */
export async function probeSegment(options: SegmentProbeOptions): Promise<SegmentProbe> {
  const { interfaceName } = options;
  const table = options.interfaces?.();
  const self: ProbeSelf = {
    mac: macOf(interfaceName, table),
    transactionId: randomBytes(4).readUInt32BE(0),
    ownAddresses: hostIpv4Addresses(table),
  };
  const servers = new Map<string, ForeignServer>();
  const transport = await runDhcpProbe({
    interfaceName,
    request: encodeDhcpMessage(probeDiscover(self)),
    timing: options.timing ?? DEFAULT_PROBE_TIMING,
    clock: options.clock,
    logger: options.logger,
    onMessage: (message, source) => {
      const answer = readProbeAnswer(message, source.address, self);
      if (answer.kind === 'ignored') return false;
      const known = servers.get(answer.server.server);
      // Keep the answer to our probe over an overheard one: it is the one worth naming.
      if (known === undefined || (!known.answeredProbe && answer.server.answeredProbe)) {
        servers.set(answer.server.server, answer.server);
      }
      return options.stopAtFirst;
    },
    skip: (bytes) => isOwnReplyInPlace(bytes, self.ownAddresses),
    ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }),
    ...(options.addon === undefined ? {} : { addon: options.addon }),
    ...(options.clientPort === undefined ? {} : { clientPort: options.clientPort }),
    ...(options.destination === undefined ? {} : { destination: options.destination }),
  });
  return { interfaceName, servers: [...servers.values()], transport };
}

function macOf(interfaceName: string, table: InterfaceTable | undefined): Mac {
  const mac = interfaceMac(interfaceName, table);
  if (mac === undefined) {
    throw new Error(
      `cannot probe ${interfaceName} for another DHCP server: it does not exist or has no IPv4 address`,
    );
  }
  return parseMac(mac);
}
