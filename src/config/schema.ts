import Type, { type Static } from 'typebox';
import { integer, section, valueOf } from './schema-parts.js';
import { DHCP_MODES, LOG_LEVELS, TFTP_TRANSPORTS } from './enums.js';
import { DeclaredMachineSchema, InstallSchema, ProfileSchema, RuleSchema } from './schema-provision.js';

export { DHCP_MODES, LOG_LEVELS, TFTP_TRANSPORTS };

// The one schema of fleetboot.yaml (issue 2, item 4). Every property has a description: it is the text editors
// show on completion (configJsonSchema) and the Description column of docs/configuration.md. Every property that
// may be left out has a default, so a missing file is a complete, valid and harmless configuration.

export type { FleetbootConfig } from './types.js';

export const LogSchema = section('Logging. fleetboot writes JSON lines to standard error.', {
  level: Type.Enum([...LOG_LEVELS], {
    default: 'info',
    description:
      'Least severe level written. `debug` adds one line per packet decision (why a client was answered or ignored).',
  }),
});

export const HttpSchema = section(
  'The HTTP server: API, dashboard, boot scripts, kernels and answer files.',
  {
    listen: valueOf('hostPort', {
      default: '0.0.0.0:8080',
      description: 'Address and port the HTTP server listens on. Port 0 picks a free port.',
    }),
    publicUrl: Type.Optional(
      valueOf('httpUrl', {
        description:
          'Base URL booting machines use to reach this server, put into boot scripts and answer files that ' +
          'every booting machine can read, so it may not hold a user name or password. ' +
          'Needed when machines cannot reach the listen address as written (0.0.0.0, NAT, a reverse proxy).',
      }),
    ),
  },
);

const bootEntryProperties = {
  label: Type.Optional(
    valueOf('lineText', { maxLength: 200, description: 'What the console shows for this entry.' }),
  ),
  kernel: Type.Optional(
    valueOf('bootPath', {
      description:
        'Kernel to load, relative to the TFTP root (a file of `tftp.roots`). Leave out with `localboot`.',
    }),
  ),
  initrd: Type.Array(valueOf('bootPath'), {
    default: [],
    description: 'Initial ramdisks loaded with the kernel, in order, relative to the TFTP root.',
  }),
  append: valueOf('kernelArgs', {
    default: '',
    // x86 Linux's COMMAND_LINE_SIZE.
    maxLength: 2048,
    description:
      'The kernel command line, as one line, without quotes or backslashes (GRUB would pass them to the kernel ' +
      'escaped, pxelinux as written).',
  }),
  localboot: Type.Boolean({
    default: false,
    description:
      'Boot from the local disk instead of a kernel: pxelinux `LOCALBOOT 0`, GRUB `exit` (back to the firmware).',
  }),
};

export const BootEntrySchema = Type.Object(bootEntryProperties, {
  description: 'What a client boots: a kernel with `kernel`, or its local disk with `localboot: true`.',
  additionalProperties: false,
});

export const MachineBootEntrySchema = Type.Object(
  {
    mac: valueOf('mac', { description: 'MAC address of the machine this entry is for.' }),
    ...bootEntryProperties,
  },
  { description: 'What one machine boots.', additionalProperties: false },
);

export const BootConfigsSchema = section(
  'Per-machine pxelinux and GRUB config files, generated on request until profiles are built: fleetboot answers ' +
    'the pxelinux search (`pxelinux.cfg/<uuid>`, `01-<mac>`, hex-IP prefixes, `default`) and `grub.cfg` for ' +
    'the client that asks, identified by its DHCP lease. Empty (the default): those names come from `tftp.roots`.',
  {
    default: Type.Optional(
      Type.Object(bootEntryProperties, {
        description: 'For every client without an entry of its own. Leave out to send such clients nothing.',
        additionalProperties: false,
      }),
    ),
    machines: Type.Array(MachineBootEntrySchema, {
      default: [],
      description: 'Entries by MAC address; each MAC at most once.',
    }),
  },
);

export const TftpSchema = section('The TFTP server that hands the first boot loader to PXE firmware.', {
  enabled: Type.Boolean({
    default: true,
    description: 'Serve TFTP. Turn off when another TFTP server is used.',
  }),
  listen: valueOf('hostPort', {
    default: '0.0.0.0:69',
    description: 'Address and UDP port the TFTP server listens on (69 is the port PXE firmware uses).',
  }),
  roots: Type.Array(Type.String({ minLength: 1 }), {
    default: [],
    description:
      'Extra directories served read-only, searched in order after the files fleetboot generates. ' +
      'Relative paths are relative to the directory of fleetboot.yaml. No path escapes a root.',
  }),
  blocksize: integer(
    'Largest block size (RFC 2348 `blksize`) granted to a client that asks for one. 1468 keeps a block in one ' +
      'Ethernet frame; larger sizes rely on IP fragmentation, which some firmware mishandles.',
    512,
    65464,
    1468,
  ),
  windowsize: integer(
    'Largest window (RFC 7440 `windowsize`, blocks sent per acknowledgement) granted to a client that asks.',
    1,
    64,
    16,
  ),
  timeout: integer(
    'Seconds to wait for an acknowledgement before resending (RFC 2349 `timeout`).',
    1,
    255,
    1,
  ),
  retries: integer('Resends of one packet before a transfer is abandoned.', 1, 20, 5),
  maxTransfers: integer(
    'Transfers in flight at once; further requests get a TFTP error.',
    1,
    undefined,
    1000,
  ),
  maxPerClient: integer(
    'Transfers in flight at once from one client address; stops a looping firmware from starving the others.',
    1,
    undefined,
    8,
  ),
  transport: Type.Enum([...TFTP_TRANSPORTS], {
    default: 'native',
    description:
      'What carries the transfers: `native`, the socket of fleetboot’s addon (native/transfer_socket.c; one ' +
      'integer per ACK into JavaScript, one sendmmsg per window), or `dgram`, Node’s own sockets (more CPU per ' +
      'block). `native` falls back to `dgram`, with a warning, where the addon cannot be loaded.',
  }),
  busyPoll: integer(
    'Longest time, in microseconds, the event loop keeps polling instead of sleeping after a lock-step transfer ' +
      '(windowsize 1) has answered its client, so that the next ACK need not wake it (on two bench machines one ' +
      'such transfer ran about twice as fast, 200 at once 7–9 % faster). The window adapts between 0 and this, ' +
      'and dies out where round trips are longer. Costs CPU time while lock-step transfers run (2–48 % more per ' +
      'byte there). Windowed transfers never poll. 0 turns it off. Applies to the `native` transport.',
    0,
    10000,
    200,
  ),
  bootConfigs: BootConfigsSchema,
});

export const PoolSchema = Type.Object(
  {
    start: valueOf('ipv4', { description: 'First address of the range, inside the subnet.' }),
    end: valueOf('ipv4', { description: 'Last address of the range (inclusive), not before `start`.' }),
  },
  {
    description: 'A range of addresses leased to machines without a reservation.',
    additionalProperties: false,
  },
);

export const ReservationSchema = Type.Object(
  {
    mac: valueOf('mac', { description: 'MAC address of the machine, in any common notation.' }),
    ip: valueOf('ipv4', { description: 'Address this machine always gets; inside the subnet.' }),
    hostname: Type.Optional(
      valueOf('dnsName', { description: 'Host name sent to the machine (option 12).' }),
    ),
  },
  { description: 'A fixed address for one machine.', additionalProperties: false },
);

// Lease times are 32-bit seconds on the wire; 0xffffffff means "infinite", which fleetboot does not hand out.
const MAX_LEASE = 0xfffffffe;

export const SubnetSchema = Type.Object(
  {
    subnet: valueOf('cidr', { description: 'The subnet, in CIDR notation with the network address.' }),
    pools: Type.Array(PoolSchema, {
      default: [],
      description: 'Ranges leased dynamically. Inside the subnet, not overlapping each other.',
    }),
    router: Type.Optional(valueOf('ipv4', { description: 'Default gateway given to clients (option 3).' })),
    dns: Type.Array(valueOf('ipv4'), {
      default: [],
      description: 'DNS servers given to clients (option 6), in order of preference.',
    }),
    domain: Type.Optional(valueOf('dnsName', { description: 'Domain name given to clients (option 15).' })),
    leaseTime: integer('Lease duration in seconds (option 51).', 10, MAX_LEASE, 3600),
    renewalTime: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_LEASE,
        description:
          'Seconds until a client renews (T1, option 58). Default: half of leaseTime (RFC 2131 §4.4.5).',
      }),
    ),
    rebindingTime: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_LEASE,
        description:
          'Seconds until a client rebinds (T2, option 59); between renewalTime and leaseTime. ' +
          'Default: 0.875 × leaseTime (RFC 2131 §4.4.5).',
      }),
    ),
    reservations: Type.Array(ReservationSchema, {
      default: [],
      description: 'Fixed addresses by MAC. Inside the subnet; each MAC and each address at most once.',
    }),
  },
  { description: 'A subnet fleetboot serves as a full DHCP server.', additionalProperties: false },
);

function bootFile(description: string) {
  return Type.Optional(Type.String({ minLength: 1, description }));
}

// The per-firmware boot file table of src/boot/boot-file.ts (protocol-digest §0). Entries left out keep their
// defaults, so an operator writes only what differs; each key is checked by config/rules.ts (file field limits).
export const BootFilesSchema = section(
  'The first file each kind of netboot client is given (in the BOOTP `file` field, and option 67 when asked): a ' +
    'path on the TFTP server, or an http(s) URL. `{next-server}` is replaced by the address fleetboot answers ' +
    'from on that interface. Entries left out keep their default; `<http>` below is `http.publicUrl`, or ' +
    '`http://{next-server}:<http.listen port>`.',
  {
    bios: bootFile('BIOS PXE (option 93 = 0). Default `undionly.kpxe` (iPXE from Debian’s ipxe package).'),
    uefiIa32: bootFile('32-bit x86 UEFI PXE (option 93 = 6). No default: such clients get no boot file.'),
    uefiX64: bootFile(
      'x86-64 UEFI PXE (option 93 = 7 or 9). Default `snponly.efi`; `shimx64.efi` for Secure Boot.',
    ),
    uefiArm64: bootFile('arm64 UEFI PXE (option 93 = 11). Default `bootnetaa64.efi` (Debian’s signed shim).'),
    uefiHttpX64: bootFile(
      'x86-64 UEFI HTTP boot (option 93 = 16): an http(s) URL only. Default `<http>/boot/snponly.efi`.',
    ),
    uefiHttpArm64: bootFile(
      'arm64 UEFI HTTP boot (option 93 = 19): an http(s) URL only. Default `<http>/boot/arm64/bootnetaa64.efi`.',
    ),
    ipxe: bootFile(
      'What a client already running iPXE gets, whatever its firmware (never an iPXE binary again, which would ' +
        'loop). Default `<http>/boot.ipxe`.',
    ),
  },
);

export const DhcpSchema = section(
  'DHCP. Off unless you say otherwise: fleetboot answers DHCP only on interfaces you name, and hands out ' +
    'addresses only in mode `full` (or `auto` when no other DHCP server answers).',
  {
    mode: Type.Enum([...DHCP_MODES], {
      default: 'off',
      description:
        '`off`: answer no DHCP. `proxy`: proxyDHCP (PXE 2.1 specification): send only boot information, next to ' +
        'the network’s existing DHCP server. `full`: authoritative DHCP server leasing addresses from `subnets`. ' +
        '`auto`: at start, send a DISCOVER from each interface (3 tries, 6 s); proxy if another DHCP server ' +
        'answers, full otherwise. The choice and the server that answered are logged; it holds until restart.',
    }),
    interfaces: Type.Array(valueOf('interfaceName'), {
      default: [],
      uniqueItems: true,
      description:
        'Interfaces DHCP is answered on. Required when mode is not `off`; never the site’s main network by accident.',
    }),
    subnets: Type.Array(SubnetSchema, {
      default: [],
      description: 'Subnets served in mode `full` or `auto`. Not overlapping each other.',
    }),
    bootFiles: BootFilesSchema,
    rogueCheckInterval: integer(
      'Seconds between checks for another DHCP server on the interfaces fleetboot leases on (mode `full`, or ' +
        '`auto` that chose full): a DISCOVER from each interface, at start and then at this interval; one that ' +
        'answers is logged as a warning and counted in `fleetboot_dhcp_rogue_dhcp_seen_total`. 0 turns the ' +
        'checks off; otherwise at least 30.',
      0,
      86400,
      300,
    ),
  },
);

export const CacheRepositorySchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description:
        'Name of the repository: the first path segment of mirror-style URLs (`http://cache:3142/<name>/…`) ' +
        'and of its directory in the cache. Letters, digits, `.`, `_`, `-`.',
    }),
    upstream: valueOf('httpUrl', {
      description: 'Base URL files are fetched from, such as http://deb.debian.org/debian.',
    }),
  },
  { description: 'A repository the cache proxies.', additionalProperties: false },
);

export const CacheSchema = section(
  'The package cache: a pull-through HTTP proxy for apt (and the Debian installer) and dnf/yum, so that every ' +
    'package crosses the uplink once however many machines install. Clients use it as their HTTP proxy ' +
    '(`Acquire::http::Proxy`, preseed `mirror/http/proxy`, dnf `proxy=`) or as a mirror ' +
    '(`http://<host>:3142/<repository>/`). What it checks before keeping a file: docs/cache.md.',
  {
    enabled: Type.Boolean({ default: false, description: 'Serve the package cache on its own listener.' }),
    listen: valueOf('hostPort', {
      default: '0.0.0.0:3142',
      description: 'Address and port of the cache listener (3142 is the port apt-cacher-ng made customary).',
    }),
    publicUrl: Type.Optional(
      valueOf('httpUrl', {
        description:
          'Proxy URL the machines being installed are given. Default: the host of http.publicUrl (or of ' +
          'cache.listen when it is a specific address) with the cache port.',
      }),
    ),
    repositories: Type.Array(CacheRepositorySchema, {
      default: [],
      description:
        'Repositories proxied, each by name and upstream URL; nothing else is fetched (no open proxy). Empty: ' +
        'the http(s) repositories of this server’s own apt sources (`aptSources`), each named after the last ' +
        'segment of its URL (`debian`, `debian-security`).',
    }),
    aptSources: Type.String({
      default: '/etc/apt',
      minLength: 1,
      description:
        'Directory whose sources.list and sources.list.d/*.list, *.sources give the default repositories.',
    }),
    allow: Type.Array(valueOf('cidr'), {
      default: [],
      description:
        'Client networks allowed to use the cache. Empty: loopback, the DHCP subnets, and the subnets of the ' +
        'interfaces DHCP is answered on.',
    }),
    maxMegabytes: integer(
      'Disk space for cached files, in MiB (2^20 bytes; under dataDir/cache). Least recently used files are evicted beyond it.',
      1,
      undefined,
      20480,
    ),
    indexMaxAge: integer(
      'Seconds an index file (InRelease, Packages…) is served before upstream is asked whether it changed. ' +
        'Short, so installs see a new archive state soon; not zero, so a rack of installs sees one snapshot.',
      0,
      86400,
      120,
    ),
  },
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      default: 'data',
      minLength: 1,
      description:
        'Directory for the database, imported OS images and caches. A relative path is relative to the directory ' +
        'of fleetboot.yaml (or to the working directory when there is no file or it comes from the environment).',
    }),
    log: LogSchema,
    store: valueOf('store', {
      default: 'sqlite',
      description:
        'Where inventory, leases and events are kept. `sqlite` is `<dataDir>/fleetboot.db`; `sqlite:<file>` ' +
        'names the file (relative to dataDir; `sqlite::memory:` keeps nothing, for tests); ' +
        '`postgres://user:password@host/database` shares one fleet between several boot servers ' +
        '(`postgres:///database?host=/run/postgresql` over a Unix socket, for peer authentication).',
    }),
    http: HttpSchema,
    tftp: TftpSchema,
    dhcp: DhcpSchema,
    cache: CacheSchema,
    profiles: Type.Array(ProfileSchema, {
      default: [],
      description:
        'How machines are installed: OS image, kernel arguments, answer template and its variables.',
    }),
    rules: Type.Array(RuleSchema, {
      default: [],
      description: 'Which profile a machine installs with, by what it is (MAC, UUID, arch, subnet, labels…).',
    }),
    machines: Type.Array(DeclaredMachineSchema, {
      default: [],
      description: 'Machines known before they first boot (more: `fleetboot machines import`).',
    }),
    install: InstallSchema,
  },
  {
    title: 'fleetboot.yaml',
    description: 'Configuration of fleetboot, the network-install server.',
    additionalProperties: false,
  },
);

/** The configuration as the schema checks it: plain strings, defaults filled in, nothing resolved yet. */
export type RawConfig = Static<typeof ConfigSchema>;
export type RawSubnet = Static<typeof SubnetSchema>;
export type RawPool = Static<typeof PoolSchema>;
export type RawReservation = Static<typeof ReservationSchema>;
export type RawDhcp = Static<typeof DhcpSchema>;
export type RawBootFiles = Static<typeof BootFilesSchema>;
export type RawTftp = Static<typeof TftpSchema>;
export type RawBootEntry = Static<typeof BootEntrySchema>;
export type RawCache = Static<typeof CacheSchema>;
