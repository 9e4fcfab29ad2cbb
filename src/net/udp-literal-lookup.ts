import type { SocketOptions, SocketType } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';

/**
 * dgram passes every destination through `lookup` before it sends, even an address literal, and the default,
 * dns.lookup, answers a literal through a deferred call: a regular-expression test and a tick per datagram. Every
 * address a TFTP or DHCP socket sends to is a literal (a client's, from the datagram it sent; a relay's giaddr;
 * the broadcast address), so this one answers a literal at once — the last one seen without even the test — and
 * hands a name (a `listen` host) to dns.lookup.
 */
export function literalLookup(type: SocketType): NonNullable<SocketOptions['lookup']> {
  const family = type === 'udp6' ? 6 : 4;
  let known = '';
  return (hostname, options, callback) => {
    if (hostname === known || isIP(hostname) === family) {
      known = hostname;
      callback(null, hostname, family);
      return;
    }
    dnsLookup(hostname, options, callback);
  };
}
