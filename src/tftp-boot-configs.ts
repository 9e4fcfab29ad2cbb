import type { BootPlan } from './boot/boot-plan.js';
import { answerConfigName, configNameMismatch } from './boot/config-files.js';
import { parseConfigName } from './boot/config-name.js';
import { BootConfigTextError } from './boot/config-text.js';
import { VIRTUAL_NOT_FOUND, type VirtualFiles } from './net/tftp-files.js';
import type { Logger } from './observability/logger.js';
import type { BootClients, IdentifiedClient } from './provision/boot-clients.js';

/**
 * The TFTP virtual files of issue 4 item 3: the pxelinux config search (`pxelinux.cfg/<uuid>`, `01-<mac>`, hex-IP
 * prefixes, `default`) and GRUB's `grub.cfg` (and `grub.cfg-01-<mac>`… of the GRUBs that search), generated per
 * requesting client from `decide`: provisioning's decideBoot (issue 5 item 5), or the configuration's boot table
 * when no profile is configured.
 *
 * TFTP carries no identity, so the client is whoever is at the requesting address (BootClients): the holder of
 * its bound lease, or in proxy mode the MAC the boot address book saw there, with the UUID and architecture the
 * inventory recorded. A plan that carries an install token is therefore only ever sent to the machine's own boot
 * address (catalogue S04). A client fleetboot cannot place is known by its address only, so it is answered at its
 * hex-IP and `default` steps, never at a UUID or MAC name. Names of other kinds are left to the roots.
 */
export function bootConfigFiles(deps: {
  clients: BootClients;
  decide: (who: IdentifiedClient) => Promise<BootPlan | undefined>;
  logger: Logger;
}): VirtualFiles {
  return async (path, requester) => {
    const name = parseConfigName(path);
    if (name === undefined) return undefined;
    const who = await deps.clients.identify(requester.address);
    if (who === undefined) return VIRTUAL_NOT_FOUND; // IPv6: no DHCPv4 lease, no pxelinux hex name
    const { client } = who;
    const mismatch = configNameMismatch(name, client);
    if (mismatch !== undefined) {
      deps.logger.debug({ file: path, client: requester.address, why: mismatch }, 'boot config not served');
      return VIRTUAL_NOT_FOUND;
    }
    const plan = await deps.decide(who);
    try {
      const answer = answerConfigName(name, client, plan);
      if (answer.kind === 'not-found') return VIRTUAL_NOT_FOUND;
      return new TextEncoder().encode(answer.text);
    } catch (error) {
      if (error instanceof BootConfigTextError) {
        deps.logger.warn({ file: path, client: requester.address, err: error }, 'boot config refused');
      }
      throw error;
    }
  };
}
