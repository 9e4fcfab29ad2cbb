import Type from 'typebox';
import Value from 'typebox/value';
import {
  type Ipv4,
  type Ipv4Subnet,
  formatSubnet,
  ipv4FromInt,
  ipv4ToInt,
  isHostAddress,
  MAX_USABLE_PREFIX_LENGTH,
  parseIpv4,
  parseIpv4Subnet,
  prefixToMask,
  subnetBroadcast,
  subnetContains,
} from '../values/ipv4.js';
import { isOneOf, isRecord } from '../values/guards.js';
import { parseMac } from '../values/mac.js';
import { InvalidValueError } from '../values/brand.js';
import { parseBootFileEntry } from '../values/boot-file-entry.js';
import { checkBootConfigs } from './boot-rules.js';
import { checkProvisioning } from './provision-rules.js';
import { validItems } from './schema-parts.js';
import type { ConfigPath } from './diagnostics.js';
import { formatPath } from './diagnostics.js';
import {
  DHCP_MODES,
  PoolSchema,
  type RawBootFiles,
  type RawPool,
  type RawReservation,
  type RawSubnet,
  ReservationSchema,
  SubnetSchema,
  TftpSchema,
} from './schema.js';

// Rules that relate several values, which a schema cannot say. Each runs only on the parts that passed the
// schema, so one load reports these next to the schema errors of other parts instead of after them.

export interface RuleProblem {
  readonly path: ConfigPath;
  /**
   * Where to point the user, when not at `path`: the first of these the user wrote (in the file or the
   * environment), else `path`. A missing key is reported where its cause is; a rule between two keys at the one
   * that was set.
   */
  readonly at?: readonly ConfigPath[];
  readonly message: string;
  readonly hint?: string;
}

export function checkRules(config: unknown): RuleProblem[] {
  const root = asRecord(config);
  return [
    ...checkTftp(root.tftp),
    ...checkBootConfigs(asRecord(root.tftp).bootConfigs),
    ...checkDhcp(asRecord(root.dhcp)),
    ...checkCache(asRecord(root.cache)),
    ...checkProvisioning(root),
  ];
}

// A repository name is the first segment of mirror-style URLs and its directory in the cache: one per name.
function checkCache(cache: Record<string, unknown>): RuleProblem[] {
  const { repositories } = cache;
  if (!Array.isArray(repositories)) return [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, number>();
  repositories.forEach((repository: unknown, index) => {
    const name = isRecord(repository) ? repository.name : undefined;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, index);
    else
      problems.push({
        path: ['cache', 'repositories', index, 'name'],
        message: `repository "${name}" is already defined at cache.repositories[${first}]`,
        hint: 'each repository needs its own name: it is the first segment of its URLs on the cache',
      });
  });
  return problems;
}

function checkTftp(tftp: unknown): RuleProblem[] {
  if (!Value.Check(TftpSchema, tftp) || tftp.maxPerClient <= tftp.maxTransfers) return [];
  return [
    {
      path: ['tftp', 'maxPerClient'],
      at: [
        ['tftp', 'maxPerClient'],
        ['tftp', 'maxTransfers'],
      ],
      message: `must not exceed tftp.maxTransfers (${tftp.maxTransfers})`,
      hint: 'one client cannot have more transfers than the whole server',
    },
  ];
}

// Issue 2, item 8: fleetboot never answers DHCP on an interface the operator did not name, and never leases
// addresses without subnets to lease from.
function checkDhcp(dhcp: Record<string, unknown>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const mode = isOneOf(DHCP_MODES, dhcp.mode) ? dhcp.mode : undefined;
  const { interfaces, subnets } = dhcp;
  if (mode !== undefined && mode !== 'off' && Array.isArray(interfaces) && interfaces.length === 0) {
    problems.push({
      path: ['dhcp', 'interfaces'],
      at: [['dhcp', 'mode']],
      message: `dhcp.mode is ${mode}, but no interface is named`,
      hint:
        'fleetboot answers DHCP only on the interfaces listed in dhcp.interfaces, such as `interfaces: [eth1]` ' +
        '(the NIC on the provisioning network; `fleetboot init` finds it), or set `mode: off`',
    });
  }
  if ((mode === 'full' || mode === 'auto') && Array.isArray(subnets) && subnets.length === 0) {
    problems.push({
      path: ['dhcp', 'subnets'],
      at: [['dhcp', 'mode']],
      message: `dhcp.mode is ${mode}, which leases addresses, but no subnet is configured`,
      hint: "add a subnet with a pool under dhcp.subnets, or use `mode: proxy` to leave addresses to the network's DHCP server",
    });
  }
  if (Array.isArray(subnets)) problems.push(...checkSubnets(subnets));
  problems.push(...checkBootFiles(asRecord(dhcp.bootFiles)));
  const interval = dhcp.rogueCheckInterval;
  if (typeof interval === 'number' && interval > 0 && interval < MIN_ROGUE_CHECK_INTERVAL) {
    problems.push({
      path: ['dhcp', 'rogueCheckInterval'],
      message: `must be 0 (no checks) or at least ${MIN_ROGUE_CHECK_INTERVAL} seconds`,
      hint: 'each check broadcasts a DISCOVER and listens 6 s; more often only adds traffic to the segment',
    });
  }
  return problems;
}

const MIN_ROGUE_CHECK_INTERVAL = 30;

/**
 * `dhcp.bootFiles` keys (camelCase, so FLEETBOOT_DHCP__BOOT_FILES__UEFI_X64 works) → the boot file table's keys,
 * the firmware names of src/boot/classify.ts.
 */
export const BOOT_FILE_CONFIG_KEYS = {
  bios: 'bios',
  uefiIa32: 'uefi-ia32',
  uefiX64: 'uefi-x64',
  uefiArm64: 'uefi-arm64',
  uefiHttpX64: 'uefi-http-x64',
  uefiHttpArm64: 'uefi-http-arm64',
  ipxe: 'ipxe',
} as const satisfies Record<keyof RawBootFiles, string>;

// Each entry must fit the BOOTP file field for any server address, and HTTP boot takes only URLs
// (values/boot-file-entry.ts): refused here, at its line, rather than as a client that silently gets nothing.
function checkBootFiles(bootFiles: Record<string, unknown>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [key, kind] of Object.entries(BOOT_FILE_CONFIG_KEYS)) {
    const value = bootFiles[key];
    if (typeof value !== 'string' || value.length === 0) continue; // the schema reports those
    try {
      parseBootFileEntry(value, { urlOnly: kind.startsWith('uefi-http') });
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      problems.push({
        path: ['dhcp', 'bootFiles', key],
        message: `expected ${error.expected}`,
        hint: 'the entry goes into the 128-byte BOOTP file field (RFC 2131 §2) that every PXE firmware reads',
      });
    }
  }
  return problems;
}

function checkSubnets(subnets: readonly unknown[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen: { index: number; cidr: string; range: Range }[] = [];
  subnets.forEach((value, index) => {
    const raw = asRecord(value);
    const at: ConfigPath = ['dhcp', 'subnets', index];
    problems.push(...checkTimers(raw, at));
    if (!Value.Check(SubnetSchema.properties.subnet, raw.subnet)) return;
    const subnet = parseIpv4Subnet(raw.subnet);
    const range = subnetRange(subnet);
    const other = seen.find((s) => overlaps(s.range, range));
    if (other) {
      problems.push({
        path: [...at, 'subnet'],
        message: `overlaps dhcp.subnets[${other.index}] (${other.cidr})`,
        hint: 'each address belongs to one subnet: merge them or fix the prefix length',
      });
    }
    seen.push({ index, cidr: formatSubnet(subnet), range });
    if (subnet.prefixLength > MAX_USABLE_PREFIX_LENGTH) {
      problems.push({
        path: [...at, 'subnet'],
        message: `a /${subnet.prefixLength} has no addresses to give to clients`,
        hint: `DHCP serves a broadcast segment: use a prefix length of ${MAX_USABLE_PREFIX_LENGTH} or less, such as /24`,
      });
      return;
    }
    const pools = checkPools(validItems(PoolSchema, raw.pools), subnet, at);
    problems.push(
      ...pools.problems,
      ...checkRouter(raw.router, subnet, pools.valid, at),
      ...checkReservations(validItems(ReservationSchema, raw.reservations), subnet, pools.valid, at),
    );
  });
  return problems;
}

/** A pool that passed its checks, by its index in the subnet's `pools`. */
interface CheckedPool {
  readonly index: number;
  readonly range: Range;
}

function checkPools(
  pools: { index: number; item: RawPool }[],
  subnet: Ipv4Subnet,
  at: ConfigPath,
): { problems: RuleProblem[]; valid: CheckedPool[] } {
  const problems: RuleProblem[] = [];
  const valid: CheckedPool[] = [];
  for (const { index, item: pool } of pools) {
    const path = [...at, 'pools', index];
    const start = parseIpv4(pool.start);
    const end = parseIpv4(pool.end);
    const outside = [
      hostProblem(subnet, start, [...path, 'start']),
      hostProblem(subnet, end, [...path, 'end']),
    ].filter((p) => p !== undefined);
    problems.push(...outside);
    if (ipv4ToInt(start) > ipv4ToInt(end)) {
      problems.push({
        path,
        message: `starts after it ends (${start} > ${end})`,
        hint: 'swap start and end',
      });
      continue;
    }
    if (outside.length > 0) continue;
    const range = { first: ipv4ToInt(start), last: ipv4ToInt(end) };
    const other = valid.find((v) => overlaps(v.range, range));
    if (other) {
      problems.push({
        path,
        message: `overlaps ${formatPath([...at, 'pools', other.index])} (${describe(other.range)})`,
        hint: 'an address may be in one pool only: shorten or merge the ranges',
      });
    }
    valid.push({ index, range });
  }
  return { problems, valid };
}

/** The router is a host of the subnet, outside every pool: a gateway address leased to a client cuts everyone off. */
function checkRouter(
  router: unknown,
  subnet: Ipv4Subnet,
  pools: readonly CheckedPool[],
  at: ConfigPath,
): RuleProblem[] {
  if (!Value.Check(SubnetSchema.properties.router, router)) return [];
  const ip = parseIpv4(router);
  const path = [...at, 'router'];
  const problem = hostProblem(subnet, ip, path);
  if (problem) return [{ ...problem, hint: 'clients reach their gateway on their own subnet' }];
  const pool = poolHolding(pools, ip);
  if (pool === undefined) return [];
  return [
    {
      path,
      message: `${ip} is inside ${describePool(at, pool)}, so it could be leased to a client`,
      hint: 'the gateway keeps its own address: move the router out of the pool, or shrink the pool',
    },
  ];
}

/**
 * Reserved addresses are hosts of the subnet, outside every pool; each MAC and each address is reserved once.
 * dnsmasq and Kea both advise reservations outside the dynamic ranges: one inside can already be leased to
 * another machine when its owner first asks, and then two machines claim it.
 */
function checkReservations(
  reservations: { index: number; item: RawReservation }[],
  subnet: Ipv4Subnet,
  pools: readonly CheckedPool[],
  at: ConfigPath,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const macs = new Map<string, number>();
  const ips = new Map<string, number>();
  for (const { index, item: reservation } of reservations) {
    const path = [...at, 'reservations', index];
    const ip = parseIpv4(reservation.ip);
    const problem = hostProblem(subnet, ip, [...path, 'ip']);
    const pool = problem === undefined ? poolHolding(pools, ip) : undefined;
    if (problem) problems.push(problem);
    if (pool !== undefined) {
      problems.push({
        path: [...path, 'ip'],
        message: `${ip} is inside ${describePool(at, pool)}`,
        hint:
          'a pool address can already be leased to another machine: move the reservation or the pool so that ' +
          'they do not overlap (dnsmasq and Kea both advise reservations outside the pools)',
      });
    }
    const mac = parseMac(reservation.mac);
    const sameMac = macs.get(mac);
    if (sameMac !== undefined) {
      problems.push({
        path: [...path, 'mac'],
        message: `${mac} is already reserved by ${formatPath([...at, 'reservations', sameMac])}`,
        hint: 'a machine gets one address per subnet: remove one of the two',
      });
    } else macs.set(mac, index);
    const sameIp = ips.get(ip);
    if (sameIp !== undefined) {
      problems.push({
        path: [...path, 'ip'],
        message: `${ip} is already reserved by ${formatPath([...at, 'reservations', sameIp])}`,
        hint: 'two machines cannot share an address',
      });
    } else ips.set(ip, index);
  }
  return problems;
}

type LeaseSettings = Pick<RawSubnet, 'leaseTime' | 'renewalTime' | 'rebindingTime'>;

// RFC 2131 §4.4.5: T1 defaults to 0.5 × lease and T2 to 0.875 × lease; a client renews, then rebinds, then loses
// the lease, so T1 < T2 < lease.
export function leaseTimers(raw: LeaseSettings): { renewalTime: number; rebindingTime: number } {
  return {
    renewalTime: raw.renewalTime ?? Math.floor(raw.leaseTime * 0.5),
    rebindingTime: raw.rebindingTime ?? Math.floor(raw.leaseTime * 0.875),
  };
}

const LeaseSettingsSchema = Type.Pick(SubnetSchema, ['leaseTime', 'renewalTime', 'rebindingTime']);

function checkTimers(subnet: Record<string, unknown>, at: ConfigPath): RuleProblem[] {
  const raw: unknown = Object.fromEntries(
    ['leaseTime', 'renewalTime', 'rebindingTime'].flatMap((key) =>
      key in subnet ? [[key, subnet[key]]] : [],
    ),
  );
  if (!Value.Check(LeaseSettingsSchema, raw)) return [];
  const { renewalTime, rebindingTime } = leaseTimers(raw);
  const hint =
    'a client renews (renewalTime), then rebinds (rebindingTime), then loses its lease (leaseTime)';
  if (rebindingTime >= raw.leaseTime) {
    return [
      { path: [...at, 'rebindingTime'], message: `must be less than leaseTime (${raw.leaseTime})`, hint },
    ];
  }
  if (renewalTime < rebindingTime) return [];
  // Whichever of the two was written is the one to change; the defaults alone always satisfy the rule.
  return raw.renewalTime !== undefined
    ? [
        {
          path: [...at, 'renewalTime'],
          message: `must be less than rebindingTime (${rebindingTime}${raw.rebindingTime === undefined ? ', 0.875 × leaseTime' : ''})`,
          hint,
        },
      ]
    : [
        {
          path: [...at, 'rebindingTime'],
          message: `must be greater than renewalTime (${renewalTime}, half of leaseTime)`,
          hint,
        },
      ];
}

interface Range {
  readonly first: number;
  readonly last: number;
}

function subnetRange(subnet: Ipv4Subnet): Range {
  return { first: ipv4ToInt(subnet.network), last: ipv4ToInt(subnetBroadcast(subnet)) };
}

function overlaps(a: Range, b: Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

function describe(range: Range): string {
  return `${ipv4FromInt(range.first)} – ${ipv4FromInt(range.last)}`;
}

function poolHolding(pools: readonly CheckedPool[], ip: Ipv4): CheckedPool | undefined {
  const value = ipv4ToInt(ip);
  return pools.find(({ range }) => range.first <= value && value <= range.last);
}

/** `dhcp.subnets[0].pools[1] (10.0.0.100 – 10.0.0.199)` */
function describePool(subnetPath: ConfigPath, pool: CheckedPool): string {
  return `${formatPath([...subnetPath, 'pools', pool.index])} (${describe(pool.range)})`;
}

/** Why `ip` cannot be given to a client of `subnet`, if it cannot. */
function hostProblem(subnet: Ipv4Subnet, ip: Ipv4, path: ConfigPath): RuleProblem | undefined {
  if (isHostAddress(subnet, ip)) return undefined;
  const cidr = formatSubnet(subnet);
  if (!subnetContains(subnet, ip)) {
    return {
      path,
      message: `${ip} is outside the subnet ${cidr} (mask ${prefixToMask(subnet.prefixLength)})`,
    };
  }
  const which = ip === subnet.network ? 'network' : 'broadcast';
  return { path, message: `${ip} is the ${which} address of ${cidr}, not a host address` };
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
