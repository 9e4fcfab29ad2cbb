/** Option 53 values (RFC 2132 §9.6), by readable name. */
export type DhcpMessageType =
  'discover' | 'offer' | 'request' | 'decline' | 'ack' | 'nak' | 'release' | 'inform';

const CODES = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const satisfies Record<DhcpMessageType, number>;

const BY_CODE = new Map<number, DhcpMessageType>(
  Object.entries(CODES).map(([name, code]) => [code, name as DhcpMessageType]),
);

export function messageTypeCode(type: DhcpMessageType): number {
  return CODES[type];
}

/**
 * The type of an option 53 value, or undefined. Only RFC 2132's eight types are ours: 9–18 (FORCERENEW, the
 * leasequery family of RFC 4388/6926/7724) are messages fleetboot does not speak (reliability-catalogue D10).
 */
export function messageTypeFromCode(code: number): DhcpMessageType | undefined {
  return BY_CODE.get(code);
}

/** The name Wireshark and the RFCs use (`DHCPDISCOVER`), for logs (design.md §8.2). */
export function messageTypeLabel(type: DhcpMessageType): string {
  return `DHCP${type.toUpperCase()}`;
}

/** True for the types a client sends to a server (RFC 2131 §3.1, Table 2). */
export function isClientMessageType(type: DhcpMessageType): boolean {
  switch (type) {
    case 'discover':
    case 'request':
    case 'decline':
    case 'release':
    case 'inform':
      return true;
    case 'offer':
    case 'ack':
    case 'nak':
      return false;
  }
}
