import { chooseBootFile } from '../boot/boot-file.js';
import { type BootReplyFields, bootReplyFields } from '../boot/boot-reply.js';
import type { JsonObject } from '../inventory/json.js';
import type { EngineDeps, ExchangeContext } from './context.js';

/** The boot fields of this client's OFFER or ACK, and what the event should say about them. */
export function bootFor(
  ctx: ExchangeContext,
  deps: EngineDeps,
): { readonly fields: BootReplyFields; readonly details: JsonObject } {
  const choice = chooseBootFile(ctx.client, deps.bootFiles, ctx.serverAddress);
  const fields = bootReplyFields(choice, ctx.client, ctx.request.options.parameterRequestList);
  if (choice.kind === 'file') return { fields, details: { bootFile: choice.file, bootVia: choice.via } };
  // A plain DHCP client getting no boot file is the normal case, not worth a line on its timeline.
  return { fields, details: ctx.client.netboot ? { noBootFile: choice.reason } : {} };
}
