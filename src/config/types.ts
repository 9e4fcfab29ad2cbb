import type { Hostname } from '../values/hostname.js';
import type { Ipv4, Ipv4Subnet } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import type { StoreLocation } from '../values/store-location.js';
import type { ListenAddress } from './kinds.js';
import type { DHCP_MODES, LOG_LEVELS, TFTP_TRANSPORTS } from './enums.js';
import type { Labels } from '../inventory/machine.js';
import type { Profile, Rule, UnmarkedAction } from '../inventory/profile.js';
import type { Uuid } from '../values/uuid.js';

export type { ListenAddress } from './kinds.js';
export type { StoreLocation } from '../values/store-location.js';

// What loadConfig returns: every value checked, defaults filled in, paths absolute, addresses branded. Code past
// the loader trusts these types and never re-validates (design.md §8.5).

export type LogLevel = (typeof LOG_LEVELS)[number];
export type TftpTransport = (typeof TFTP_TRANSPORTS)[number];
export type DhcpMode = (typeof DHCP_MODES)[number];

export interface FleetbootConfig {
  /** Absolute. */
  readonly dataDir: string;
  readonly log: { readonly level: LogLevel };
  readonly store: StoreLocation;
  readonly http: HttpConfig;
  readonly tftp: TftpConfig;
  readonly dhcp: DhcpConfig;
  readonly cache: CacheConfig;
  /** Names unique; templates that are paths are absolute. */
  readonly profiles: readonly Profile[];
  /** Each names a profile of `profiles`; no two are equally specific and able to match one machine. */
  readonly rules: readonly Rule[];
  /** MACs and hostnames unique across them; each profile is one of `profiles`. */
  readonly machines: readonly DeclaredMachine[];
  readonly install: InstallConfig;
}

/** A machine of `machines:` in fleetboot.yaml, enrolled at start (Lifecycle.syncDeclaredMachines). */
export interface DeclaredMachine {
  /** Never empty; the first is the one it boots from. */
  readonly macs: readonly Mac[];
  readonly uuid?: Uuid;
  readonly hostname?: Hostname;
  readonly labels: Labels;
  readonly profile?: string;
  readonly reservedIp?: Ipv4;
}

export interface InstallConfig {
  /** How long an install mark is valid. */
  readonly markTtlMs: number;
  /** What a machine no rule matches boots when it is not marked. */
  readonly unknown: UnmarkedAction;
  readonly menuTimeoutSeconds: number;
}

export interface HttpConfig {
  readonly listen: ListenAddress;
  /** Without a trailing slash. */
  readonly publicUrl?: string;
}

export interface TftpConfig {
  readonly enabled: boolean;
  readonly listen: ListenAddress;
  /** Absolute directories, in search order. */
  readonly roots: readonly string[];
  /** Largest RFC 2348 blksize granted. */
  readonly blocksize: number;
  /** Largest RFC 7440 windowsize granted. */
  readonly windowsize: number;
  /** Seconds (RFC 2349). */
  readonly timeout: number;
  readonly retries: number;
  readonly maxTransfers: number;
  readonly maxPerClient: number;
  /** What carries the transfers (src/net/tftp-transfer-socket.ts). */
  readonly transport: TftpTransport;
  /** µs the loop polls without sleeping after a lock-step transfer's datagram; 0 off (native/busy_poll.c). */
  readonly busyPoll: number;
  /** Checked: each entry one action, each MAC once. The shape of src/boot/config-table.ts BootTable. */
  readonly bootConfigs: BootConfigs;
}

export interface BootConfigs {
  readonly default?: BootConfigEntry;
  readonly machines: readonly (BootConfigEntry & { readonly mac: Mac })[];
}

/** Paths relative to the TFTP root, text on one line (src/values/boot-text.ts). */
export type BootConfigEntry =
  | {
      readonly action: 'linux';
      readonly label?: string;
      readonly kernel: string;
      readonly initrd: readonly string[];
      readonly append: string;
    }
  | { readonly action: 'local'; readonly label?: string };

/**
 * When `mode` is not `off`, `interfaces` is not empty; when it is `full` or `auto`, `subnets` is not empty. The
 * loader refuses any other combination (issue 2, item 8).
 */
export interface DhcpConfig {
  readonly mode: DhcpMode;
  readonly interfaces: readonly string[];
  readonly subnets: readonly DhcpSubnet[];
  /** Seconds between checks for another DHCP server in mode full; 0: none. 0 or ≥ 30. */
  readonly rogueCheckInterval: number;
  /** Overrides of the default boot file table, by firmware; each checked (values/boot-file-entry.ts). */
  readonly bootFiles: BootFileOverrides;
}

/** The shape of src/boot/boot-file.ts BootFileTable: only the entries the operator wrote. */
export interface BootFileOverrides {
  readonly bios?: string;
  readonly 'uefi-ia32'?: string;
  readonly 'uefi-x64'?: string;
  readonly 'uefi-arm64'?: string;
  readonly 'uefi-http-x64'?: string;
  readonly 'uefi-http-arm64'?: string;
  readonly ipxe?: string;
}

export interface DhcpSubnet {
  readonly subnet: Ipv4Subnet;
  /** Inside the subnet, excluding its network and broadcast addresses; not overlapping. */
  readonly pools: readonly AddressPool[];
  readonly router?: Ipv4;
  readonly dns: readonly Ipv4[];
  /** Lower case, RFC 1123. */
  readonly domain?: Hostname;
  /** Seconds; renewalTime < rebindingTime < leaseTime, defaults of RFC 2131 §4.4.5 filled in. */
  readonly leaseTime: number;
  readonly renewalTime: number;
  readonly rebindingTime: number;
  /** Unique MACs and addresses, inside the subnet. */
  readonly reservations: readonly Reservation[];
}

export interface AddressPool {
  readonly start: Ipv4;
  /** Inclusive; not before start. */
  readonly end: Ipv4;
}

export interface Reservation {
  readonly mac: Mac;
  readonly ip: Ipv4;
  /** Lower case, RFC 1123. */
  readonly hostname?: Hostname;
}

export interface CacheConfig {
  readonly enabled: boolean;
  readonly listen: ListenAddress;
  /**
   * The proxy URL a machine being installed is given (preseed `mirror/http/proxy`), with a trailing slash;
   * undefined when neither cache.publicUrl, http.publicUrl nor a specific listen address says how to reach it.
   */
  readonly proxyUrl?: string;
  /** Empty: the server's own apt sources, read at start. Names unique. */
  readonly repositories: readonly { readonly name: string; readonly upstream: string }[];
  /** Absolute. */
  readonly aptSources: string;
  /** Empty: loopback, the DHCP subnets and the DHCP interfaces' subnets. */
  readonly allow: readonly Ipv4Subnet[];
  readonly maxSizeBytes: number;
  readonly indexMaxAgeSeconds: number;
}
