import type { BootClient, BootPlan } from './boot-plan.js';
import { type ConfigName, hexOfIpv4 } from './config-name.js';
import { renderGrub } from './render-grub.js';
import { renderPxelinux } from './render-pxelinux.js';

export type ConfigFileAnswer =
  { readonly kind: 'file'; readonly text: string } | { readonly kind: 'not-found'; readonly reason: string };

/**
 * The answer to one step of a loader's config search (config-name.ts), for the client that asked. The content is
 * always the requesting client's own plan, whatever the name: the name only has to be one this client's loader
 * would ask for — its UUID, its MAC, a prefix of its address, `default`, or GRUB's plain grub.cfg. Any other name
 * (another machine's MAC, say) is "not found", so no client reads a file meant for another, and a client is
 * answered at the first step that can be its own: pxelinux stops searching there (digest §5.1).
 *
 * Pure. Throws BootConfigTextError when the plan holds a value that cannot be written safely (config-text.ts).
 */
export function answerConfigName(
  name: ConfigName,
  client: BootClient,
  plan: BootPlan | undefined,
): ConfigFileAnswer {
  const mismatch = configNameMismatch(name, client);
  if (mismatch !== undefined) return { kind: 'not-found', reason: mismatch };
  if (plan === undefined) return { kind: 'not-found', reason: 'no boot plan for this client' };
  return { kind: 'file', text: name.loader === 'grub' ? renderGrub(plan) : renderPxelinux(plan) };
}

/** Why `name` is not one this client's loader would ask for; undefined when it is. */
export function configNameMismatch(name: ConfigName, client: BootClient): string | undefined {
  switch (name.step) {
    case 'uuid':
      if (client.uuid === undefined) return 'the UUID of the client is not known';
      return client.uuid === name.uuid ? undefined : 'not the UUID of the client';
    case 'mac':
      if (client.mac === undefined) return 'the MAC of the client is not known';
      return client.mac === name.mac ? undefined : 'not the MAC of the client';
    case 'ip':
      return hexOfIpv4(client.address).startsWith(name.hex) ? undefined : 'not the address of the client';
    case 'default':
    case 'client':
      return undefined;
  }
}
