/** BOOTP/DHCP fixed header layout (RFC 2131 §2, Figure 1 and Table 1). */
export const OP_BOOTREQUEST = 1;
export const OP_BOOTREPLY = 2;

export const OFFSET = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  sname: 44,
  file: 108,
  cookie: 236,
  options: 240,
} as const;

export const CHADDR_SIZE = 16;
export const SNAME_SIZE = 64;
export const FILE_SIZE = 128;
/** The fixed header without the cookie: anything shorter is not a BOOTP message (D01, D02). */
export const FIXED_HEADER_SIZE = 236;
/** 99.130.83.99 (RFC 2131 §3, RFC 1497). */
export const MAGIC_COOKIE = Uint8Array.of(99, 130, 83, 99);
/** The BROADCAST bit of `flags` (RFC 2131 §2, Figure 2); the other 15 bits are MBZ. */
export const BROADCAST_FLAG = 0x8000;

/** dnsmasq MIN_PACKETSZ: "The Linux in-kernel DHCP client silently ignores any packet smaller than this" (BOOTP's 300). */
export const MIN_MESSAGE_SIZE = 300;
/** RFC 2131 §2: a client accepts options of at least 312 octets, i.e. a 576-octet IP datagram. */
export const MIN_DATAGRAM_SIZE = 576;
/** IPv4 header (20, no options) + UDP header (8). */
export const IP_UDP_HEADERS = 28;
