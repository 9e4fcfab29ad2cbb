import { chooseBootFile } from '../../boot/boot-file.js';
import { type BootReplyFields, bootReplyFields } from '../../boot/boot-reply.js';
import type { JsonObject } from '../../inventory/json.js';
import type { BootFileTable } from '../../boot/boot-file.js';
import type { ProxyContext } from './context.js';

export type ProxyBoot =
  | { readonly kind: 'file'; readonly fields: BootReplyFields; readonly details: JsonObject }
  | { readonly kind: 'none'; readonly details: JsonObject };

/**
 * The boot information of a proxy OFFER or ACK, with the same policy as full mode (boot/boot-file.ts,
 * boot/boot-reply.ts): `siaddr` + `file` always (EDK2 and pxelinux read the TFTP server from siaddr, never from
 * option 66: protocol-digest §2.4, §2.6), and for a PXEClient option 43 = discovery control 8, "use the boot file
 * of this offer". With that, EDK2 classes our `yiaddr` 0 offer "ProxyPxe10" (§2.4 priority 3, DhcpOnly +
 * ProxyPxe10) and boots the file without a round to port 4011; iPXE takes a proxy offer with siaddr ≠ 0 and a
 * file directly (§2.5). This is dnsmasq's one-menu-item UEFI case (§2.5, step 2), applied to every firmware, which
 * also keeps us away from broken UEFI menus (§2.3).
 * A proxy with no boot file for a client has nothing to say: it stays silent (`none`).
 */
export function proxyBoot(ctx: ProxyContext, bootFiles: BootFileTable): ProxyBoot {
  const choice = chooseBootFile(ctx.client, bootFiles, ctx.serverAddress);
  if (choice.kind === 'none') return { kind: 'none', details: { noBootFile: choice.reason } };
  const fields = bootReplyFields(choice, ctx.client, ctx.request.options.parameterRequestList);
  return { kind: 'file', fields, details: { bootFile: choice.file, bootVia: choice.via } };
}
