import type { BootClient, DecideBootPlan } from './boot/boot-plan.js';
import { answerConfigName, configNameMismatch } from './boot/config-files.js';
import { parseConfigName } from './boot/config-name.js';
import { BootConfigTextError } from './boot/config-text.js';
import { VIRTUAL_NOT_FOUND, type VirtualFiles } from './net/tftp-files.js';
import type { Logger } from './observability/logger.js';
import type { InventoryStore, LeaseStore } from './store/types.js';
import { parseIpv4 } from './values/ipv4.js';

/**
 * The TFTP virtual files of issue 4 item 3: the pxelinux config search (`pxelinux.cfg/<uuid>`, `01-<mac>`, hex-IP
 * prefixes, `default`) and GRUB's `grub.cfg` (and `grub.cfg-01-<mac>`… of the GRUBs that search), generated per
 * requesting client from `decide`: the configuration's boot table today, provisioning's decideBoot later (issue 5
 * item 5), behind the same `DecideBootPlan`.
 *
 * TFTP carries no identity, so the client is the holder of the requesting address's lease (bound, not expired):
 * its MAC, and the UUID and architecture the inventory recorded from its DHCP options. A client without such a
 * lease (another DHCP server's, in proxy mode) is known by its address only, so it is answered at its hex-IP and
 * `default` steps, never at a UUID or MAC name. Names of other kinds are left to the roots.
 */
export function bootConfigFiles(deps: {
  leases: LeaseStore;
  inventory: InventoryStore;
  decide: DecideBootPlan;
  now: () => number;
  logger: Logger;
}): VirtualFiles {
  return async (path, requester) => {
    const name = parseConfigName(path);
    if (name === undefined) return undefined;
    const client = await identify(deps, requester.address);
    if (client === undefined) return VIRTUAL_NOT_FOUND;
    const mismatch = configNameMismatch(name, client);
    if (mismatch !== undefined) {
      deps.logger.debug({ file: path, client: requester.address, why: mismatch }, 'boot config not served');
      return VIRTUAL_NOT_FOUND;
    }
    const plan = await deps.decide(client);
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

async function identify(
  deps: { leases: LeaseStore; inventory: InventoryStore; now: () => number },
  text: string,
): Promise<BootClient | undefined> {
  let address;
  try {
    address = parseIpv4(text);
  } catch {
    return undefined; // IPv6: no DHCPv4 lease, no pxelinux hex name
  }
  const lease = await deps.leases.findByAddress(address);
  if (lease === undefined || lease.state !== 'bound' || lease.expiresAt <= deps.now()) return { address };
  const machine = await deps.inventory.getByMac(lease.mac);
  return {
    address,
    mac: lease.mac,
    ...(machine?.uuid ? { uuid: machine.uuid } : {}),
    ...(machine === undefined || machine.arch === null ? {} : { arch: machine.arch }),
  };
}
