import path from 'node:path';
import { parseBootFileEntry } from '../values/boot-file-entry.js';
import { parseIpv4, parseIpv4Subnet } from '../values/ipv4.js';
import { parseMac } from '../values/mac.js';
import { resolveStoreSpec } from '../values/store-location.js';
import { KINDS } from './kinds.js';
import { buildBootEntry } from './boot-rules.js';
import { buildProvisioning } from './build-provision.js';
import { BOOT_FILE_CONFIG_KEYS, leaseTimers } from './rules.js';
import type { RawBootFiles, RawCache, RawConfig, RawSubnet } from './schema.js';
import type { BootFileOverrides, CacheConfig, DhcpSubnet, FleetbootConfig, ListenAddress } from './types.js';

/** The directory a relative path in the setting at `key` (such as `dataDir`) is relative to. */
export type BaseDir = (key: readonly string[]) => string;

/**
 * Turns a configuration that passed the schema and the rules into the typed one the rest of fleetboot trusts:
 * branded addresses, absolute paths, lease timers filled in. Every parse here succeeds, because the schema ran
 * the same parsers (kinds.ts); a throw would be a bug in this module, not a user error.
 */
export function buildConfig(raw: RawConfig, baseDir: BaseDir): FleetbootConfig {
  const dataDir = path.resolve(baseDir(['dataDir']), raw.dataDir);
  return {
    dataDir,
    log: { level: raw.log.level },
    // A relative SQLite file is relative to dataDir, as openStore resolves a `--store` (one parser for both).
    store: resolveStoreSpec(KINDS.store.parse(raw.store), dataDir),
    http: {
      listen: KINDS.hostPort.parse(raw.http.listen),
      ...(raw.http.publicUrl === undefined ? {} : { publicUrl: KINDS.httpUrl.parse(raw.http.publicUrl) }),
    },
    tftp: {
      enabled: raw.tftp.enabled,
      listen: KINDS.hostPort.parse(raw.tftp.listen),
      roots: raw.tftp.roots.map((root) => path.resolve(baseDir(['tftp', 'roots']), root)),
      blocksize: raw.tftp.blocksize,
      windowsize: raw.tftp.windowsize,
      timeout: raw.tftp.timeout,
      retries: raw.tftp.retries,
      maxTransfers: raw.tftp.maxTransfers,
      maxPerClient: raw.tftp.maxPerClient,
      transport: raw.tftp.transport,
      busyPoll: raw.tftp.busyPoll,
      bootConfigs: {
        ...(raw.tftp.bootConfigs.default === undefined
          ? {}
          : { default: buildBootEntry(raw.tftp.bootConfigs.default) }),
        machines: raw.tftp.bootConfigs.machines.map((m) => ({
          ...buildBootEntry(m),
          mac: parseMac(m.mac),
        })),
      },
    },
    dhcp: {
      mode: raw.dhcp.mode,
      interfaces: raw.dhcp.interfaces.map((name) => KINDS.interfaceName.parse(name)),
      subnets: raw.dhcp.subnets.map(buildSubnet),
      rogueCheckInterval: raw.dhcp.rogueCheckInterval,
      bootFiles: buildBootFiles(raw.dhcp.bootFiles),
    },
    cache: buildCache(raw.cache, raw.http.publicUrl, baseDir),
    ...buildProvisioning(raw, baseDir),
  };
}

function buildCache(raw: RawCache, httpPublicUrl: string | undefined, baseDir: BaseDir): CacheConfig {
  const listen = KINDS.hostPort.parse(raw.listen);
  const proxyUrl =
    raw.publicUrl === undefined
      ? defaultProxyUrl(listen, httpPublicUrl)
      : `${KINDS.httpUrl.parse(raw.publicUrl)}/`;
  return {
    enabled: raw.enabled,
    listen,
    ...(proxyUrl === undefined ? {} : { proxyUrl }),
    repositories: raw.repositories.map((r) => ({ name: r.name, upstream: KINDS.httpUrl.parse(r.upstream) })),
    aptSources: path.resolve(baseDir(['cache', 'aptSources']), raw.aptSources),
    allow: raw.allow.map((cidr) => KINDS.cidr.parse(cidr)),
    maxSizeBytes: raw.maxMegabytes * 1024 * 1024,
    indexMaxAgeSeconds: raw.indexMaxAge,
  };
}

/**
 * How a machine reaches the cache when cache.publicUrl is not set: the host machines already use for HTTP
 * (http.publicUrl) with the cache's port, else the listen address when it is a specific one.
 */
function defaultProxyUrl(listen: ListenAddress, httpPublicUrl: string | undefined): string | undefined {
  if (listen.port === 0) return undefined;
  if (httpPublicUrl !== undefined) return `http://${new URL(httpPublicUrl).hostname}:${listen.port}/`;
  if (listen.host === '0.0.0.0' || listen.host === '::') return undefined;
  return `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}/`;
}

function buildBootFiles(raw: RawBootFiles): BootFileOverrides {
  const out: Record<string, string> = {};
  for (const [key, kind] of Object.entries(BOOT_FILE_CONFIG_KEYS)) {
    const value = raw[key as keyof RawBootFiles];
    if (value !== undefined) out[kind] = parseBootFileEntry(value, { urlOnly: kind.startsWith('uefi-http') });
  }
  return out;
}

function buildSubnet(raw: RawSubnet): DhcpSubnet {
  return {
    subnet: parseIpv4Subnet(raw.subnet),
    pools: raw.pools.map((pool) => ({ start: parseIpv4(pool.start), end: parseIpv4(pool.end) })),
    ...(raw.router === undefined ? {} : { router: parseIpv4(raw.router) }),
    dns: raw.dns.map(parseIpv4),
    ...(raw.domain === undefined ? {} : { domain: KINDS.dnsName.parse(raw.domain) }),
    leaseTime: raw.leaseTime,
    ...leaseTimers(raw),
    reservations: raw.reservations.map((r) => ({
      mac: parseMac(r.mac),
      ip: parseIpv4(r.ip),
      ...(r.hostname === undefined ? {} : { hostname: KINDS.dnsName.parse(r.hostname) }),
    })),
  };
}
