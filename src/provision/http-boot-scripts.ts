import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BootClient } from '../boot/boot-plan.js';
import { BootConfigTextError } from '../boot/config-text.js';
import { type IpxePlatform, renderIpxe } from '../boot/render-ipxe.js';
import type { HttpApp } from '../net/http-app.js';
import type { Logger } from '../observability/logger.js';
import type { AuditLog, EventLog, InventoryStore } from '../store/types.js';
import { IPV4_ANY } from '../values/ipv4.js';
import { type Mac, parseMac } from '../values/mac.js';
import type { BootClients } from './boot-clients.js';
import type { BootDecider } from './boot-decider.js';
import { httpBaseOf } from './http-base.js';

export interface BootScriptDeps {
  readonly inventory: InventoryStore;
  readonly events: EventLog;
  readonly audit: AuditLog;
  readonly clients: BootClients;
  readonly decider: BootDecider;
  /** `http.publicUrl`, when configured; otherwise URLs use the address the request arrived on. */
  readonly publicUrl: string | undefined;
  readonly logger: Logger;
}

/**
 * The first script every iPXE gets (the default boot-file table's `<http>/boot.ipxe`, boot/boot-file.ts): it hands
 * over to the script of the MAC iPXE booted from (`netX`, the last opened network device), telling its
 * architecture and platform. Relative, so it resolves against whatever URL this script was fetched from.
 */
export const CHAIN_SCRIPT = [
  '#!ipxe',
  "# fleetboot: hand over to this machine's own script.",
  'chain --replace --autofree /boot/ipxe/${netX/mac:hexhyp}?buildarch=${buildarch}&platform=${platform}',
  '',
].join('\n');

/**
 * `GET /boot.ipxe` and `GET /boot/ipxe/<mac>`: the iPXE side of the one boot decision (issue 5 item 5). A script
 * that carries an install token is served only when the request comes from the MAC's boot address (its bound
 * lease, or where proxyDHCP saw it); any other asker gets 404 and an audit entry (catalogue S04).
 */
export function registerBootScripts(app: HttpApp, deps: BootScriptDeps): void {
  app.get('/boot.ipxe', (_request, reply) =>
    noStore(reply).type('text/plain; charset=utf-8').send(CHAIN_SCRIPT),
  );
  app.get('/boot/ipxe/:mac', (request, reply) => machineScript(deps, request, reply));
}

async function machineScript(
  deps: BootScriptDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const params = request.params as { mac: string };
  const query = request.query as Record<string, string | undefined>;
  let mac: Mac;
  try {
    mac = parseMac(params.mac);
  } catch {
    return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  }
  const platform = platformOf(query.platform);
  const here = await deps.clients.identify(request.ip);
  const machine = await deps.inventory.getByMac(mac);
  const atOwnAddress = here?.client.mac === mac;
  const client: BootClient =
    here !== undefined && atOwnAddress
      ? here.client
      : {
          address: here?.client.address ?? IPV4_ANY,
          mac,
          ...(machine === undefined || machine.arch === null ? {} : { arch: machine.arch }),
        };
  const httpBase = httpBaseOf(deps.publicUrl, request);
  const decision = await deps.decider.decide(client, machine, {
    httpBase,
    ...(atOwnAddress && here.subnet !== undefined ? { subnet: here.subnet } : {}),
  });
  if (decision.plan.confidential === true && !atOwnAddress) {
    await deps.audit.append({
      actor: 'anonymous',
      action: 'boot-script.fetch',
      target: machine?.id ?? mac,
      remoteAddress: request.ip,
      outcome: 'denied',
      details: { reason: 'not the address this machine boots from', mac },
    });
    deps.logger.warn(
      { mac, client: request.ip },
      'iPXE script with an install token asked for from an address that is not the machine’s boot address',
    );
    return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  }
  let script: string;
  try {
    script = renderIpxe(decision.plan, { httpBase, ...(platform === undefined ? {} : { platform }) });
  } catch (error) {
    if (!(error instanceof BootConfigTextError)) throw error;
    deps.logger.warn({ mac, err: error }, 'iPXE script refused');
    return reply
      .code(500)
      .type('text/plain; charset=utf-8')
      .send('boot script refused; see the server log\n');
  }
  await deps.events.append({
    ...(machine === undefined ? {} : { machineId: machine.id }),
    mac,
    source: 'http',
    kind: 'iPXE script',
    details: { action: decision.action, reason: decision.reason, ...(platform ? { platform } : {}) },
  });
  return noStore(reply).type('text/plain; charset=utf-8').send(script);
}

function platformOf(text: string | undefined): IpxePlatform | undefined {
  return text === 'pcbios' || text === 'efi' ? text : undefined;
}

/** Per-client, per-moment answers: no cache may keep one for another client or a later boot. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}
