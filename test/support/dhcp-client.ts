import type { DhcpMessage, DhcpMessageType, DhcpOptions, RawOption } from '../../src/protocol/dhcp4/index.js';
import { BROADCAST_FLAG } from '../../src/protocol/dhcp4/layout.js';
import { IPV4_ANY, parseIpv4 } from '../../src/values/ipv4.js';
import { macToBytes, parseMac } from '../../src/values/mac.js';

/** What a test says about a client message; everything else takes the value a plain DHCP client sends. */
export interface ClientSpec {
  readonly mac: string;
  readonly xid?: number;
  readonly broadcast?: boolean;
  readonly ciaddr?: string;
  readonly giaddr?: string;
  readonly serverId?: string;
  readonly requested?: string;
  readonly options?: DhcpOptions;
  readonly otherOptions?: readonly RawOption[];
  readonly htype?: number;
  readonly chaddr?: Uint8Array;
}

let nextXid = 0x1000;

/** A client's DHCP message (BOOTREQUEST), for the engine in-process or for the wire through the codec. */
export function clientMessage(type: DhcpMessageType, spec: ClientSpec): DhcpMessage {
  return {
    op: 'request',
    hardwareType: spec.htype ?? 1,
    clientHardwareAddress: spec.chaddr ?? macToBytes(parseMac(spec.mac)),
    hops: 0,
    transactionId: spec.xid ?? nextXid++,
    secondsElapsed: 0,
    flags: spec.broadcast === true ? BROADCAST_FLAG : 0,
    clientAddress: parseIpv4(spec.ciaddr ?? '0.0.0.0'),
    yourAddress: IPV4_ANY,
    nextServerAddress: IPV4_ANY,
    relayAgentAddress: parseIpv4(spec.giaddr ?? '0.0.0.0'),
    serverHostName: '',
    bootFile: '',
    messageType: type,
    options: {
      parameterRequestList: [1, 3, 6, 15, 28, 51, 54, 58, 59],
      ...(spec.serverId === undefined ? {} : { serverIdentifier: parseIpv4(spec.serverId) }),
      ...(spec.requested === undefined ? {} : { requestedIpAddress: parseIpv4(spec.requested) }),
      ...spec.options,
    },
    otherOptions: spec.otherOptions ?? [],
    rejectedOptions: [],
  };
}
