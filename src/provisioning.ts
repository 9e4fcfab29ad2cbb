import { mkdir } from 'node:fs/promises';
import type { BootPlan } from './boot/boot-plan.js';
import { isEmptyBootTable, planFromTable } from './boot/config-table.js';
import { bootRootOf, Catalog } from './catalog/catalog.js';
import type { FleetbootConfig } from './config/schema.js';
import { MAX_MARK_TTL } from './config/schema-provision.js';
import { BootAddressBook } from './dhcp/boot-address-book.js';
import type { Clock } from './net/clock.js';
import type { HttpApp } from './net/http-app.js';
import type { Service } from './net/supervisor.js';
import type { VirtualFiles } from './net/tftp-files.js';
import type { Logger } from './observability/logger.js';
import { hostIpv4Addresses } from './net/udp-interface-address.js';
import { BootClients, type IdentifiedClient, type ServedDhcpMode } from './provision/boot-clients.js';
import { BootDecider } from './provision/boot-decider.js';
import { machineAnswerRenderer } from './provision/answer-renderer.js';
import { registerHttpBoot } from './provision/http-boot.js';
import { loadOrCreateSecret } from './provision/install-token.js';
import { Lifecycle } from './provision/lifecycle.js';
import { markSweeper } from './provision/mark-sweeper.js';
import type { Store } from './store/types.js';
import { bootConfigFiles } from './tftp-boot-configs.js';

/**
 * The provisioning parts of a running server (issue 5), built once and shared by TFTP, HTTP and DHCP, so that
 * every transport identifies clients and decides their boot the same way.
 */
export interface Provisioning {
  /** `<dataDir>/boot`: imported images and loaders; the last TFTP root, and `/boot/` over HTTP. */
  readonly bootRoot: string;
  readonly catalog: Catalog;
  /** The one install lifecycle: the API's commands and the installer's callbacks go through it. */
  readonly lifecycle: Lifecycle;
  /** Where proxyDHCP saw machines boot from; the DHCP engine's `onBootAddress`. */
  readonly book: BootAddressBook;
  readonly clients: BootClients;
  readonly decider: BootDecider;
  /** `tftp.roots`, then the boot root: the search order of TFTP and of `/boot/` over HTTP. */
  readonly roots: readonly string[];
}

export async function createProvisioning(deps: {
  config: FleetbootConfig;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Whose word says which machine is at an address: the leases (full) or the book (proxy). */
  dhcpMode: ServedDhcpMode;
}): Promise<Provisioning> {
  const { config, store, clock, logger, dhcpMode } = deps;
  const now = (): number => clock.now();
  const bootRoot = bootRootOf(config.dataDir);
  // World-readable: TFTP and HTTP serve only files others may read (catalogue P7), and so does every loader.
  await mkdir(bootRoot, { recursive: true, mode: 0o755 });
  const secret = await loadOrCreateSecret(config.dataDir);
  const catalog = new Catalog({ bootRoot, logger, now });
  const lifecycle = new Lifecycle({
    store,
    secret,
    now,
    markTtlMs: config.install.markTtlMs,
    profiles: config.profiles,
    rules: config.rules,
    logger,
  });
  // Kept as long as the longest mark: a marked machine's entry must outlive its install (boot-clients.ts).
  const book = new BootAddressBook({
    now,
    ttlMs: MAX_MARK_TTL * 1000,
    onConflict: (conflict) => {
      logger.warn({ ...conflict }, 'proxyDHCP: conflicting boot address claims; no install token goes there');
      store.audit
        .append({
          actor: 'dhcp',
          action: 'boot-address.conflict',
          target: conflict.address,
          outcome: 'denied',
          details: { ...conflict },
        })
        .catch((error: unknown) => {
          logger.error(
            { err: error instanceof Error ? error.message : String(error) },
            'audit append failed',
          );
        });
    },
  });
  const clients = new BootClients({
    leases: store.leases,
    inventory: store.inventory,
    dhcpMode,
    book,
    // Read at each lookup: an address added after start is still this host's.
    isOwnAddress: (address) => hostIpv4Addresses().has(address),
    now,
  });
  const decider = new BootDecider({
    images: () => catalog.list(),
    profiles: config.profiles,
    rules: config.rules,
    secret,
    unmatched: config.install.unknown,
    menuTimeoutSeconds: config.install.menuTimeoutSeconds,
    now,
    logger,
  });
  // Declared machines are in the inventory before the first DHCP packet is answered (issue 5 item 3).
  const report = await lifecycle.syncDeclaredMachines(config.machines);
  logger.info({ ...report }, 'declared machines synchronised');
  return { bootRoot, catalog, book, clients, decider, lifecycle, roots: [...config.tftp.roots, bootRoot] };
}

/** What provisioning runs by itself: the mark-expiry sweep. */
export function provisioningServices(
  provisioning: Provisioning,
  deps: { clock: Clock; logger: Logger },
): Service[] {
  return [markSweeper({ expireMarks: () => provisioning.lifecycle.expireMarks(), ...deps })];
}

/**
 * The pxelinux and GRUB config files TFTP generates per client (tftp-boot-configs.ts), from the one boot decision
 * when provisioning is in use (profiles configured, or the menu for unknown machines), else from the
 * configuration's boot table (`tftp.bootConfigs`), else none: those names then come from the roots as written.
 */
export function tftpBootConfigs(
  provisioning: Provisioning,
  deps: {
    config: FleetbootConfig;
    logger: Logger;
    /** The HTTP port as bound (the configured one, or the one port 0 was given). */
    httpPort: () => number;
  },
): VirtualFiles | undefined {
  const { config, logger } = deps;
  const table = config.tftp.bootConfigs;
  let decide: (who: IdentifiedClient) => Promise<BootPlan | undefined>;
  if (config.profiles.length > 0 || config.install.unknown === 'menu') {
    decide = async (who) => {
      const httpBase = tftpHttpBase(config, who, deps.httpPort());
      const decision = await provisioning.decider.decide(who.client, who.machine, {
        httpBase,
        ...(who.subnet === undefined ? {} : { subnet: who.subnet }),
      });
      logger.debug(
        { client: who.client.address, action: decision.action, reason: decision.reason },
        'boot decided',
      );
      return decision.plan;
    };
  } else if (!isEmptyBootTable(table)) {
    decide = ({ client }) => Promise.resolve(planFromTable(table, client));
  } else {
    return undefined;
  }
  return bootConfigFiles({ clients: provisioning.clients, decide, logger });
}

/**
 * The HTTP base put into TFTP-served configs: `http.publicUrl`, else fleetboot's address as the client reached it
 * over DHCP (its lease's server id, or proxyDHCP's), else the HTTP listen address.
 */
function tftpHttpBase(config: FleetbootConfig, who: IdentifiedClient, port: number): string {
  if (config.http.publicUrl !== undefined) return config.http.publicUrl;
  const host = who.client.serverAddress ?? config.http.listen.host;
  return `http://${host}:${port}`;
}

/** Boot files, iPXE scripts, answer files and installer callbacks on the HTTP app (provision/http-boot.ts). */
export async function registerProvisioningHttp(
  app: HttpApp,
  provisioning: Provisioning,
  deps: { config: FleetbootConfig; store: Store; logger: Logger },
): Promise<void> {
  const { config, store, logger } = deps;
  await registerHttpBoot(app, {
    roots: provisioning.roots,
    externalSources: async () =>
      (await provisioning.catalog.list()).flatMap((image) => image.externalSource ?? []),
    inventory: store.inventory,
    events: store.events,
    audit: store.audit,
    clients: provisioning.clients,
    decider: provisioning.decider,
    lifecycle: provisioning.lifecycle,
    renderAnswer: machineAnswerRenderer({
      profiles: config.profiles,
      rules: config.rules,
      image: (name) => provisioning.catalog.get(name),
      proxy: config.cache.enabled ? config.cache.proxyUrl : undefined,
    }),
    publicUrl: config.http.publicUrl,
    logger,
  });
}
