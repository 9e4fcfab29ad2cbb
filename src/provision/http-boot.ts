import type { ExternalSource } from '../catalog/catalog.js';
import type { HttpApp } from '../net/http-app.js';
import type { Logger } from '../observability/logger.js';
import type { AuditLog, EventLog, InventoryStore } from '../store/types.js';
import type { BootClients } from './boot-clients.js';
import type { BootDecider } from './boot-decider.js';
import { type AnswerRenderer, type InstallerLifecycle, registerAnswerRoutes } from './http-answers.js';
import { registerBootFiles } from './http-boot-files.js';
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
  registerBootFiles(app, { roots: deps.roots, externalSources: deps.externalSources, logger: deps.logger });
  registerBootScripts(app, deps);
  await registerAnswerRoutes(app, { ...deps, render: deps.renderAnswer });
}
