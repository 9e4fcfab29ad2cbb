import type { Ipv4 } from '../../values/ipv4.js';
import type { Uuid } from '../../values/uuid.js';
import { type ClientFqdn, clientFqdnCodec } from './fqdn.js';
import {
  bytesCodec,
  ipv4Codec,
  ipv4ListCodec,
  type OptionCodec,
  textCodec,
  u16ListCodec,
  u8ListCodec,
  uintCodec,
} from './option-codecs.js';
import {
  type ClientNetworkInterface,
  clientMachineIdCodec,
  clientNetworkInterfaceCodec,
} from './pxe-client.js';
import { type RelayAgentInformation, relayAgentInformationCodec } from './relay-agent.js';
import { isRfc1123Name } from './text.js';
import { type UserClass, userClassCodec } from './user-class.js';

/**
 * The typed options, by readable name (RFC names and sections in comments). Options 0 (pad), 52 (overload),
 * 53 (message type) and 255 (end) are structure, handled by message.ts; every other code is either here or kept
 * raw in `DhcpMessage.otherOptions`.
 */
export interface DhcpOptionValues {
  subnetMask: Ipv4; // 1, RFC 2132 §3.3
  routers: readonly Ipv4[]; // 3, §3.5
  domainNameServers: readonly Ipv4[]; // 6, §3.8
  hostName: string; // 12, §3.14 (RFC 1123 names only, see text.ts)
  bootFileSize: number; // 13, §3.15, in 512-octet blocks (EDK2 skips its tsize probe with it)
  domainName: string; // 15, §3.17
  broadcastAddress: Ipv4; // 28, §5.3
  vendorSpecific: Uint8Array; // 43, §8.4 (PXE reading: pxe.ts)
  requestedIpAddress: Ipv4; // 50, §9.1
  leaseTime: number; // 51, §9.2, seconds
  serverIdentifier: Ipv4; // 54, §9.7
  parameterRequestList: readonly number[]; // 55, §9.8
  message: string; // 56, §9.9
  maximumMessageSize: number; // 57, §9.10
  renewalTime: number; // 58, §9.11 (T1)
  rebindingTime: number; // 59, §9.12 (T2)
  vendorClassIdentifier: string; // 60, §9.13
  clientIdentifier: Uint8Array; // 61, §9.14: type octet + identifier, kept whole (RFC 6842 echo)
  tftpServerName: string; // 66, §9.4
  bootFileName: string; // 67, §9.5
  userClass: UserClass; // 77, RFC 3004
  clientFqdn: ClientFqdn; // 81, RFC 4702
  relayAgentInformation: RelayAgentInformation; // 82, RFC 3046
  clientSystemArchitectures: readonly number[]; // 93, RFC 4578 §2.1
  clientNetworkInterface: ClientNetworkInterface; // 94, RFC 4578 §2.2
  clientMachineId: Uuid | null; // 97, RFC 4578 §2.3 (null: sent empty)
  ipxeEncapsulated: Uint8Array; // 175, iPXE's own options, kept raw; its presence marks iPXE
  pxelinuxConfigFile: string; // 209, RFC 5071 §5
  pxelinuxPathPrefix: string; // 210, RFC 5071 §6
  pxelinuxRebootTime: number; // 211, RFC 5071 §7, seconds
}

export type DhcpOptionName = keyof DhcpOptionValues;

/** The typed options of one message: each present at most once (repeated instances are concatenated first). */
export type DhcpOptions = { readonly [N in DhcpOptionName]?: DhcpOptionValues[N] };

/**
 * What to do when a registered option's value is malformed: refuse the packet, or leave the option out of the
 * typed view (keeping its bytes in `otherOptions` and its reason in `rejectedOptions`) and serve the client anyway.
 */
export type OnInvalid = 'drop-packet' | 'drop-option';

export interface OptionSpec<T> {
  readonly code: number;
  readonly codec: OptionCodec<T>;
  readonly onInvalid: OnInvalid;
}

const hostNameText = textCodec({ test: isRfc1123Name, reason: 'hostname' }, 'host name');
const domainNameText = textCodec({ test: isRfc1123Name, reason: 'domain-name' }, 'domain name');

function spec<T>(code: number, codec: OptionCodec<T>, onInvalid: OnInvalid = 'drop-packet'): OptionSpec<T> {
  return { code, codec, onInvalid };
}

/**
 * The registry. A wrong length for a fixed-format option refuses the packet (`opt-len`, reliability-catalogue
 * D11, D17), except where the catalogue says the client must still be served without that option:
 * - 12/15 names that are not RFC 1123 names (D16, D18: Kea CVE-2025-11232 drops the option, not the client);
 * - 93/94/97 of the wrong shape (D21: "treat as a non-netboot client": it still gets an address);
 * - text options that are empty (RFC 2132 minimum length 1), and an empty 77.
 */
export const OPTION_REGISTRY: { readonly [N in DhcpOptionName]: OptionSpec<DhcpOptionValues[N]> } = {
  subnetMask: spec(1, ipv4Codec),
  routers: spec(3, ipv4ListCodec),
  domainNameServers: spec(6, ipv4ListCodec),
  hostName: spec(12, hostNameText, 'drop-option'),
  bootFileSize: spec(13, uintCodec(2)),
  domainName: spec(15, domainNameText, 'drop-option'),
  broadcastAddress: spec(28, ipv4Codec),
  vendorSpecific: spec(43, bytesCodec(1), 'drop-option'),
  requestedIpAddress: spec(50, ipv4Codec),
  leaseTime: spec(51, uintCodec(4)),
  serverIdentifier: spec(54, ipv4Codec),
  parameterRequestList: spec(55, u8ListCodec),
  message: spec(56, textCodec(undefined, 'message'), 'drop-option'),
  maximumMessageSize: spec(57, uintCodec(2)),
  renewalTime: spec(58, uintCodec(4)),
  rebindingTime: spec(59, uintCodec(4)),
  vendorClassIdentifier: spec(60, textCodec(undefined, 'vendor class'), 'drop-option'),
  // RFC 2132 §9.14: "The code for this option is 61, and its minimum length is 2." Shorter: D17, DROP.
  clientIdentifier: spec(61, bytesCodec(2)),
  tftpServerName: spec(66, textCodec(undefined, 'TFTP server name'), 'drop-option'),
  bootFileName: spec(67, textCodec(undefined, 'boot file name'), 'drop-option'),
  userClass: spec(77, userClassCodec, 'drop-option'),
  clientFqdn: spec(81, clientFqdnCodec),
  relayAgentInformation: spec(82, relayAgentInformationCodec),
  clientSystemArchitectures: spec(93, u16ListCodec, 'drop-option'),
  clientNetworkInterface: spec(94, clientNetworkInterfaceCodec, 'drop-option'),
  clientMachineId: spec(97, clientMachineIdCodec, 'drop-option'),
  ipxeEncapsulated: spec(175, bytesCodec(0), 'drop-option'),
  pxelinuxConfigFile: spec(209, textCodec(undefined, 'PXELINUX config file'), 'drop-option'),
  pxelinuxPathPrefix: spec(210, textCodec(undefined, 'PXELINUX path prefix'), 'drop-option'),
  pxelinuxRebootTime: spec(211, uintCodec(4)),
};

/** Option codes that are message structure rather than values. */
export const OPTION_PAD = 0;
export const OPTION_OVERLOAD = 52;
export const OPTION_MESSAGE_TYPE = 53;
export const OPTION_END = 255;

const NAME_BY_CODE: ReadonlyMap<number, DhcpOptionName> = new Map(
  (Object.keys(OPTION_REGISTRY) as DhcpOptionName[]).map((name) => [OPTION_REGISTRY[name].code, name]),
);

export function optionNameOf(code: number): DhcpOptionName | undefined {
  return NAME_BY_CODE.get(code);
}

export function optionCodeOf(name: DhcpOptionName): number {
  return OPTION_REGISTRY[name].code;
}

/** A name for logs: the registry name, the structural name, or `option-N`. */
export function optionLabel(code: number): string {
  switch (code) {
    case OPTION_PAD:
      return 'pad';
    case OPTION_OVERLOAD:
      return 'optionOverload';
    case OPTION_MESSAGE_TYPE:
      return 'messageType';
    case OPTION_END:
      return 'end';
    default:
      return optionNameOf(code) ?? `option-${code}`;
  }
}

export function decodeOptionValue<N extends DhcpOptionName>(
  name: N,
  data: Uint8Array,
  offset: number,
): DhcpOptionValues[N] {
  const registered: OptionSpec<DhcpOptionValues[N]> = OPTION_REGISTRY[name];
  return registered.codec.decode(data, offset);
}

export function encodeOptionValue<N extends DhcpOptionName>(name: N, value: DhcpOptionValues[N]): Uint8Array {
  const registered: OptionSpec<DhcpOptionValues[N]> = OPTION_REGISTRY[name];
  return registered.codec.encode(value);
}
