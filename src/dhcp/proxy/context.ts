import type { ClientClass } from '../../boot/classify.js';
import type { EpochMs } from '../../inventory/time.js';
import type { DhcpExchange } from '../../net/dhcp-handler.js';
import type { DhcpMessage } from '../../protocol/dhcp4/index.js';
import type { Ipv4 } from '../../values/ipv4.js';
import type { ClientIdentity } from '../identity.js';

/**
 * One exchange in proxyDHCP mode (protocol-digest §2.5): a client with an identity, but no subnet and no lease
 * index, because the site's DHCP server owns the addresses and the proxy never touches the lease store.
 */
export interface ProxyContext {
  readonly exchange: DhcpExchange;
  readonly request: DhcpMessage;
  readonly identity: ClientIdentity;
  readonly client: ClientClass;
  /** Our address as this client sees it: option 54, and siaddr when the boot file is fetched over TFTP. */
  readonly serverAddress: Ipv4;
  readonly now: EpochMs;
}
