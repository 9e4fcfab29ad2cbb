import type { Clock } from '../../net/clock.js';
import type { DatagramSource } from '../../net/dhcp-intake.js';
import type { Service } from '../../net/supervisor.js';
import { hostIpv4Addresses } from '../../net/udp-interface-address.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { DhcpMessage } from '../../protocol/dhcp4/index.js';
import type { Ipv4 } from '../../values/ipv4.js';
import { type DhcpEngineMetrics, dhcpEngineMetrics } from '../metrics.js';
import { WarningLimiter } from '../warnings.js';
import { type SeenServer, seenServerOf } from './answers.js';
import { probeSegment, type SegmentProbe } from './segment.js';

export interface RogueWatchOptions {
  /** The interfaces fleetboot is the DHCP server on (mode full, or auto that chose full). */
  readonly interfaces: readonly string[];
  /** Between the end of one round of probes and the start of the next; 0: no probes (replies on 67 still count). */
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Probes one segment; default probeSegment, listening the whole time so every server there is named. */
  readonly probe?: (interfaceName: string) => Promise<SegmentProbe>;
  /** This host's IPv4 addresses; default os.networkInterfaces(), read again at each round. */
  readonly ownAddresses?: () => ReadonlySet<Ipv4>;
}

type Via = 'probe' | 'server-port';

const OWN_ADDRESSES_TTL_MS = 60_000;

/**
 * Another DHCP server on a segment where fleetboot is the DHCP server (catalogue §5 "rogue DHCP server", D05,
 * S10): clients take whichever OFFER comes first, so they may get its addresses and boot files, and two lease
 * databases hand out one address twice. Seen two ways:
 * - a **probe** at start and every `intervalMs`: our DISCOVER from each interface (probe/segment.ts), listening the
 *   whole time; its answers are broadcast to port 68, where the listeners on 67 never hear them;
 * - a **BOOTREPLY sent to our port 67** (catalogue D05), which the listener drops as `op` and shows here: a server
 *   answering a relay at our address, or misdirected traffic.
 * Each sighting counts in `fleetboot_dhcp_rogue_dhcp_seen_total{interface,via}`; the last probe's finding is the
 * gauge `fleetboot_dhcp_rogue_servers{interface}`; the warning names the server and is logged at most once a minute
 * per server and interface. /healthz is left alone on purpose: another server does not make fleetboot unable to
 * serve, and a failing health check would have an orchestrator restart the wrong server.
 */
export class RogueWatch implements Service {
  readonly name = 'dhcp-rogue-watch';
  private readonly metrics: DhcpEngineMetrics;
  private readonly warnings: WarningLimiter;
  private cancelTimer: (() => void) | undefined;
  private round: Promise<void> | undefined;
  private stopped = true;
  private own: { readonly addresses: ReadonlySet<Ipv4>; readonly readAt: number } | undefined;

  constructor(private readonly options: RogueWatchOptions) {
    this.metrics = dhcpEngineMetrics(options.metrics);
    this.warnings = new WarningLimiter(options.clock, options.logger);
  }

  start(): Promise<void> {
    this.stopped = false;
    for (const name of this.options.interfaces) this.metrics.rogueServers.set({ interface: name }, 0);
    if (this.options.intervalMs > 0) this.schedule(0);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.round;
  }

  /** A decoded BOOTREPLY that arrived on port 67 of `interfaceName` (the listener's `onServerReply`). */
  sawServerReply(interfaceName: string, message: DhcpMessage, source: DatagramSource): void {
    const seen = seenServerOf(message, source.address, this.ownAddresses());
    if (seen.kind === 'server') this.report(interfaceName, seen.server, 'server-port');
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.options.clock.setTimer(() => {
      this.round = this.probeAll().finally(() => {
        this.round = undefined;
        this.schedule(this.options.intervalMs);
      });
    }, delayMs);
  }

  // One interface after another: each probe holds a socket for its whole wait, and there is no hurry.
  private async probeAll(): Promise<void> {
    for (const interfaceName of this.options.interfaces) {
      if (this.stopped) return;
      try {
        const found = await this.probe(interfaceName);
        this.metrics.rogueServers.set({ interface: interfaceName }, found.servers.length);
        for (const server of found.servers) this.report(interfaceName, server, 'probe');
      } catch (error) {
        // A check that cannot run (interface gone, port 68 held without SO_REUSEADDR) must not stop DHCP.
        this.warnings.warn(
          `probe-failed:${interfaceName}`,
          { err: error, interface: interfaceName },
          `the check for another DHCP server on ${interfaceName} could not run`,
        );
      }
    }
  }

  private probe(interfaceName: string): Promise<SegmentProbe> {
    if (this.options.probe !== undefined) return this.options.probe(interfaceName);
    const { clock, logger } = this.options;
    return probeSegment({ interfaceName, clock, logger, stopAtFirst: false });
  }

  private report(interfaceName: string, server: SeenServer, via: Via): void {
    this.metrics.rogueSeen.inc({ interface: interfaceName, via });
    const relayed = server.source === server.server ? '' : ` via ${server.source}`;
    this.warnings.warn(
      `rogue:${interfaceName}:${server.server}`,
      { interface: interfaceName, via, ...server },
      `another DHCP server leases addresses on ${interfaceName}, where fleetboot is the DHCP server: ` +
        `${server.server}${relayed} handed out ${server.offered}. Clients may take its addresses and boot ` +
        'files; stop it (DHCP snooping on the switch keeps such servers out), or run fleetboot with ' +
        'dhcp.mode proxy beside it',
    );
  }

  // Read at most once a minute: a flood of BOOTREPLYs on 67 must not list the interfaces per packet.
  private ownAddresses(): ReadonlySet<Ipv4> {
    const now = this.options.clock.monotonic();
    if (this.own === undefined || now - this.own.readAt > OWN_ADDRESSES_TTL_MS) {
      this.own = { addresses: this.options.ownAddresses?.() ?? hostIpv4Addresses(), readAt: now };
    }
    return this.own.addresses;
  }
}
