import Value from 'typebox/value';
import { InvalidValueError } from '../values/brand.js';
import {
  type Ipv4,
  type Ipv4Subnet,
  formatSubnet,
  ipv4FromInt,
  ipv4ToInt,
  isHostAddress,
  MAX_USABLE_PREFIX_LENGTH,
  parseIpv4Subnet,
  subnetBroadcast,
} from '../values/ipv4.js';
import { ConfigSchema, type RawConfig, type RawSubnet, SubnetSchema } from './schema.js';
import type { DhcpMode } from './types.js';

export interface StarterConfigOptions {
  /** The interface facing the machines to install. */
  readonly interface: string;
  /** Its IPv4 address and prefix length, which give the subnet. */
  readonly address: Ipv4;
  readonly prefixLength: number;
  /** Default `proxy`: the one mode that is safe next to a DHCP server the operator may not know about. */
  readonly mode?: DhcpMode;
}

/**
 * The commented fleetboot.yaml that `fleetboot init` writes. Every section is present with its default value so
 * that the file documents itself; the subnet needed by mode `full` is pre-filled for the interface's subnet and
 * commented out unless the mode leases addresses. Pure: the caller detects the interface and writes the file.
 */
export function renderStarterConfig(options: StarterConfigOptions): string {
  const mode = options.mode ?? 'proxy';
  const subnet = parseIpv4Subnet(`${options.address}/${options.prefixLength}`, { strict: false });
  if (subnet.prefixLength > MAX_USABLE_PREFIX_LENGTH) {
    throw new InvalidValueError(
      'prefix length',
      String(options.prefixLength),
      `at most ${MAX_USABLE_PREFIX_LENGTH} (room for clients)`,
    );
  }
  const d = Value.Default(ConfigSchema, {}) as RawConfig;
  const pool = suggestPool(subnet.network, subnet.prefixLength, options.address);
  const leases = mode === 'full' || mode === 'auto';
  const port = d.http.listen.slice(d.http.listen.lastIndexOf(':') + 1);
  const name = yamlString(options.interface);
  return `# fleetboot.yaml, written by \`fleetboot init\` for ${options.interface} (${options.address}/${subnet.prefixLength}).
# Each key shows its default unless noted; delete a key to go back to its default.
# Check this file with \`fleetboot config check\`; every key is explained in docs/configuration.md.
# A FLEETBOOT_ environment variable overrides one key: FLEETBOOT_LOG__LEVEL=debug sets log.level.

# Database, OS images and caches. A relative path is relative to the directory of this file.
dataDir: ${d.dataDir}

# Where machines, leases and events are kept: \`sqlite\` (the file <dataDir>/fleetboot.db),
# \`sqlite:/path/to/file.db\`, or postgres://user:password@host/database to share one fleet between
# several boot servers.
store: ${d.store}

log:
  # fatal, error, warn, info, debug (one line per DHCP/TFTP decision: why a machine was answered or not),
  # trace or silent.
  level: ${d.log.level}

http:
  # API, dashboard, boot scripts, kernels and answer files.
  listen: ${d.http.listen}
  # How the machines being installed reach this server: the address of ${options.interface}.
  publicUrl: http://${options.address}:${port}

tftp:
  # PXE firmware fetches its first boot loader over TFTP (UDP port 69).
  enabled: ${d.tftp.enabled}
  listen: ${d.tftp.listen}
  # More directories to serve, searched after the files fleetboot generates.
  roots: []
  # Largest block size granted (RFC 2348). ${d.tftp.blocksize} fits one Ethernet frame; bigger ones fragment.
  blocksize: ${d.tftp.blocksize}
  # Largest window granted (RFC 7440): blocks sent per acknowledgement.
  windowsize: ${d.tftp.windowsize}
  # Seconds before a block is sent again, and how many times before giving up.
  timeout: ${d.tftp.timeout}
  retries: ${d.tftp.retries}
  # Transfers at once: in total, and from one machine.
  maxTransfers: ${d.tftp.maxTransfers}
  maxPerClient: ${d.tftp.maxPerClient}
  # native: fleetboot's own transfer sockets (less CPU per block); dgram: Node's.
  transport: ${d.tftp.transport}
  # At most this many microseconds of polling, instead of sleeping, after a transfer's packet (the window
  # adapts): faster lock-step transfers for some CPU time while they run. 0: off.
  busyPoll: ${d.tftp.busyPoll}

dhcp:
  # proxy: answer only the PXE part of DHCP, beside the DHCP server this network already has, which keeps
  #        handing out addresses. The safe choice on a network you share.
  # full:  be THE DHCP server on the interfaces below, leasing addresses from the subnets below. Only where
  #        no other DHCP server runs.
  # auto:  at start, ask the network: proxy if another DHCP server answers, full otherwise (logged).
  # off:   no DHCP; your own DHCP server points machines at fleetboot.
  mode: ${mode}
  # DHCP is answered on these interfaces only, never on one you did not name.
  interfaces: [${name}]
${subnetSection(subnet, pool, options.address, leases)}`;
}

/**
 * The subnet section, active when the mode leases addresses, commented out otherwise (remove one `# ` from each
 * line to activate it). The router and reservation examples lie outside the pool, so that uncommenting them gives
 * a valid file (the loader refuses either inside a pool); a /30 has no room for them and goes without.
 */
function subnetSection(subnet: Ipv4Subnet, pool: AddressRange, own: Ipv4, active: boolean): string {
  const cidr = formatSubnet(subnet);
  const { leaseTime } = Value.Default(SubnetSchema, { subnet: cidr }) as RawSubnet;
  const firstHost = ipv4FromInt(ipv4ToInt(subnet.network) + 1);
  const router = inRange(pool, firstHost) ? undefined : firstHost;
  const reserved = spareHost(subnet, pool, [own, firstHost]);
  const lines = [
    'subnets:',
    `  - subnet: ${cidr}`,
    '    # Addresses leased to machines without a reservation.',
    '    pools:',
    `      - start: ${pool.start}`,
    `        end: ${pool.end}`,
    ...(router === undefined
      ? []
      : [
          '    # The default gateway and DNS servers of this network, if the installers need them:',
          `    # router: ${router}`,
          `    # dns: [${router}]`,
        ]),
    `    leaseTime: ${leaseTime}`,
    ...(reserved === undefined
      ? []
      : [
          '    # Fixed addresses by MAC, inside the subnet and outside the pools, such as:',
          '    # reservations:',
          `    #   - { mac: 52:54:00:12:34:56, ip: ${reserved}, hostname: node01 }`,
        ]),
  ];
  const intro = active
    ? '  # The addresses fleetboot leases (modes full and auto).'
    : '  # For mode full or auto: the addresses fleetboot leases. Uncomment and adjust.';
  return [intro, ...lines.map((line) => (active ? `  ${line}` : `  # ${line}`))].join('\n') + '\n';
}

interface AddressRange {
  readonly start: Ipv4;
  readonly end: Ipv4;
}

function inRange(range: AddressRange, ip: Ipv4): boolean {
  return ipv4ToInt(range.start) <= ipv4ToInt(ip) && ipv4ToInt(ip) <= ipv4ToInt(range.end);
}

/** The host nearest below the pool, else above it, that is not one of `taken`; none in a full /30. */
function spareHost(subnet: Ipv4Subnet, pool: AddressRange, taken: readonly Ipv4[]): Ipv4 | undefined {
  const below = ipv4ToInt(pool.start) - 1;
  const above = ipv4ToInt(pool.end) + 1;
  // Only `taken` (two addresses) can stand between the pool and a free host, so three steps each way suffice.
  return [below, below - 1, below - 2, above, above + 1, above + 2]
    .filter((value) => value >= 0 && value <= 0xffffffff)
    .map(ipv4FromInt)
    .find((ip) => isHostAddress(subnet, ip) && !inRange(pool, ip) && !taken.includes(ip));
}

/**
 * A pool in the half of the subnet without this server's own address, so that it cannot lease our address to a
 * client: the upper half when it is free, since gateways usually sit at the bottom of a subnet.
 */
export function suggestPool(network: Ipv4, prefixLength: number, own: Ipv4): { start: Ipv4; end: Ipv4 } {
  const first = ipv4ToInt(network);
  const size = 2 ** (32 - prefixLength);
  const lastHost = ipv4ToInt(subnetBroadcast({ network, prefixLength })) - 1;
  const upper = { start: first + size / 2, end: lastHost };
  // In the lower half, the first quarter of the subnet stays free for gateways and static hosts (often .1).
  const lower = { start: first + Math.max(1, size / 4), end: first + size / 2 - 1 };
  const ours = ipv4ToInt(own);
  const half = ours >= upper.start && ours <= upper.end ? lower : upper;
  return { start: ipv4FromInt(half.start), end: ipv4FromInt(half.end) };
}

const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** Interface names are plain words, but a name YAML would read as something else is quoted. */
function yamlString(text: string): string {
  return /^[A-Za-z][A-Za-z0-9_.-]*$/.test(text) && !YAML_WORDS.test(text) ? text : JSON.stringify(text);
}
