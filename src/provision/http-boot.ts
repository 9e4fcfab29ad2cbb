import type { ExternalSource } from '../catalog/catalog.js';
import type { HttpApp } from '../net/http-app.js';
import type { Logger } from '../observability/logger.js';
import type { AuditLog, EventLog, InventoryStore } from '../store/types.js';
import type { BootClients } from './boot-clients.js';
import type { BootDecider } from './boot-decider.js';
import { type AnswerRenderer, type InstallerLifecycle, registerAnswerRoutes } from './http-answers.js';
import { type BootFileFetch, registerBootFiles } from './http-boot-files.js';
import { registerBootScripts } from './http-boot-scripts.js';

export interface HttpBootDeps {
  /** Where `/boot/<path>` is looked up, in order: `tftp.roots`, then the boot root (`<dataDir>/boot`). */
  readonly roots: readonly string[];
  /** The catalog's install trees served from outside the boot root (http-boot-files.ts). */
  readonly externalSources: () => Promise<readonly ExternalSource[]>;
  readonly inventory: InventoryStore;
  readonly events: EventLog;
  readonly audit: AuditLog;
  readonly clients: BootClients;
  readonly decider: BootDecider;
  readonly lifecycle: InstallerLifecycle;
  readonly renderAnswer: AnswerRenderer;
  /** `http.publicUrl`. */
  readonly publicUrl: string | undefined;
  readonly logger: Logger;
}

/**
 * The HTTP side of provisioning (issue 5 item 6), on fleetboot's one HTTP app: boot files (`/boot/<path>`), iPXE
 * scripts (`/boot.ipxe`, `/boot/ipxe/<mac>`), answer files and installer callbacks (`/answers/<token>/…`).
 */
export async function registerHttpBoot(app: HttpApp, deps: HttpBootDeps): Promise<void> {
  registerBootFiles(app, {
    roots: deps.roots,
    externalSources: deps.externalSources,
    onFetched: (fetch) => {
      void recordBootFileFetch(deps, fetch);
    },
    logger: deps.logger,
  });
  registerBootScripts(app, deps);
  await registerAnswerRoutes(app, { ...deps, render: deps.renderAnswer });
}

/**
 * A boot file fetched over HTTP as an event on the machine's timeline (issue 5: every step is an event), like a
 * TFTP transfer (tftp-timeline.ts): kernel, initrd, loader or ISO, with status, size and whether it completed —
 * what tells "the initrd download broke off" from "the installer never asked for its answers". A client fleetboot
 * cannot name (no lease, not seen by proxyDHCP) has no timeline to add to. Never throws: the response is gone.
 */
async function recordBootFileFetch(
  deps: Pick<HttpBootDeps, 'clients' | 'events' | 'logger'>,
  fetch: BootFileFetch,
): Promise<void> {
  try {
    const identified = await deps.clients.identify(fetch.address);
    const mac = identified?.client.mac;
    if (mac === undefined) return;
    const { address, ...details } = fetch;
    await deps.events.append({
      ...(identified?.machine === undefined ? {} : { machineId: identified.machine.id }),
      mac,
      source: 'http',
      kind: 'HTTP GET',
      details: { ...details, client: address },
    });
  } catch (error) {
    deps.logger.warn({ err: error, file: fetch.file }, 'boot file fetch not recorded on the timeline');
  }
}
