/**
 * The numbers the TFTP codec, the option negotiation and the path check agree on. Each bound says where it comes
 * from; the transfer engine and the configuration schema import them rather than repeating the numbers.
 */

// RFC 1350 §2: without the blksize option a DATA packet carries 512 octets, and a shorter one ends the transfer.
export const DEFAULT_BLOCK_SIZE = 512;

// RFC 2348 "Blocksize Option Specification": "Valid values range between "8" and "65464" octets, inclusive."
export const MIN_BLOCK_SIZE = 8;
export const MAX_BLOCK_SIZE = 65464;

// RFC 2349 "Timeout Interval Option Specification": "Valid values range between "1" and "255" seconds, inclusive."
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 255;

// RFC 7440 §3: a windowsize from 1 to 65535 blocks, inclusive. Without the option the transfer is lock-step, a
// window of one block (RFC 1350 §2).
export const DEFAULT_WINDOW_SIZE = 1;
export const MIN_WINDOW_SIZE = 1;
export const MAX_WINDOW_SIZE = 65535;

/**
 * Bytes of header under a TFTP block in one IPv4 datagram: IP 20 + UDP 8 + TFTP 4 (opcode, block). A block of
 * `mtu - 32` octets is the largest that is never fragmented (tftpd-hpa in.tftpd(8) `--blocksize`: "the smallest
 * MTU on your network minus 32 bytes … on a standard Ethernet (MTU 1500) a value of 1468 is reasonable"; EDK2
 * requests the same 1468, protocol-digest §4.4).
 */
export const IPV4_UDP_TFTP_OVERHEAD = 20 + 8 + 4;

/**
 * Longest file name a request may carry, in octets. A PXE client learns its first file name from DHCP, where the
 * `file` field holds 128 octets and option 67 at most 255 (RFC 2132 §9.5, a one-octet length); pxelinux limits
 * the names it asks for to 127 characters (protocol-digest §5.1). Nothing a boot client sends is longer, and the
 * catalogue's T06 names of 512 and 1400 octets are refused at the codec (ERROR 4) instead of reaching the disk.
 */
export const MAX_FILENAME_BYTES = 255;

/**
 * Option pairs in one request. Real clients send at most four (protocol-digest §4.4: EDK2 sends tsize, blksize,
 * windowsize); sixteen leaves room for the non-standard ones (`utimeout`, `rollover`, `multicast`, `msftwindow`)
 * and bounds the work one datagram can cause.
 */
export const MAX_OPTIONS = 16;

/**
 * Longest option name and value kept from a request, in octets. The longest standard name is `windowsize` (10) and
 * the longest value a multicast address triple (`224.100.100.100,65535,1`, 23). A longer name cannot be an option
 * we know, so it is left out of the decoded list like any unknown option (RFC 2347 §"Packet Formats": unsupported
 * options are omitted; reliability-catalogue T13: a 900-byte name is ignored).
 */
export const MAX_OPTION_NAME_BYTES = 64;
export const MAX_OPTION_VALUE_BYTES = 64;

/**
 * Longest ERROR message we send or keep from a peer. A peer's message is truncated to this on decode
 * (reliability-catalogue T17: a 1 KB message); ours are a few words.
 */
export const MAX_ERROR_MESSAGE_BYTES = 255;
