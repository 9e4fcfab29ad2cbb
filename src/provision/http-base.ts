import type { FastifyRequest } from 'fastify';
import { peerIpv4 } from '../values/ipv4.js';

/**
 * The base URL a booting client reaches fleetboot at, for the URLs put into its scripts and answer files:
 * `http.publicUrl` when configured, otherwise the address and port its request arrived on — read from the socket,
 * never from the Host header the client chose.
 */
export function httpBaseOf(publicUrl: string | undefined, request: FastifyRequest): string {
  if (publicUrl !== undefined) return publicUrl.replace(/\/+$/, '');
  const { localAddress = '127.0.0.1', localPort = 80 } = request.socket;
  const v4 = peerIpv4(localAddress);
  return `http://${v4 ?? `[${localAddress}]`}:${localPort}`;
}
