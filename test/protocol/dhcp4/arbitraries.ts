import fc from 'fast-check';
import {
  type ClientFqdn,
  type DhcpMessage,
  type DhcpMessageType,
  type DhcpOptions,
  FQDN_FLAG_ENCODED,
  FQDN_FLAG_NO_UPDATES,
  FQDN_FLAG_SERVER_UPDATES,
  optionNameOf,
  type RelayAgentInformation,
  userClassFromRaw,
} from '../../../src/protocol/dhcp4/index.js';
import type { Ipv4 } from '../../../src/values/ipv4.js';
import { uuidFromBytes } from '../../../src/values/uuid.js';

const ipv4 = fc.ipV4().map((s) => s as Ipv4);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Text of octets 1–255 (no NUL: decoders strip trailing NULs, RFC 2132 §2). */
function octetText(minLength: number, maxLength: number) {
  return fc.string({
    unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)),
    minLength,
    maxLength,
  });
}

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const rfc1123Name = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));

const fqdn: fc.Arbitrary<ClientFqdn> = fc
  .record({
    flags: fc
      .integer({ min: 0, max: 255 })
      .filter((f) => (f & FQDN_FLAG_NO_UPDATES) === 0 || (f & FQDN_FLAG_SERVER_UPDATES) === 0),
    rcode1: fc.integer({ min: 0, max: 255 }),
    rcode2: fc.integer({ min: 0, max: 255 }),
    wireLabels: fc.array(
      fc.string({
        unit: fc
          .integer({ min: 0, max: 255 })
          .filter((c) => c !== 0x2e)
          .map((c) => String.fromCharCode(c)),
        minLength: 1,
        maxLength: 20,
      }),
      { maxLength: 4 },
    ),
    complete: fc.boolean(),
    ascii: fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
  })
  .map(({ flags, rcode1, rcode2, wireLabels, complete, ascii }) => ({
    flags,
    rcode1,
    rcode2,
    domainName: (flags & FQDN_FLAG_ENCODED) !== 0 ? `${wireLabels.join('.')}${complete ? '.' : ''}` : ascii,
  }));

const relayAgent: fc.Arbitrary<RelayAgentInformation> = fc
  .array(
    fc
      .integer({ min: 0, max: 255 })
      .chain((code) =>
        fc
          .uint8Array(code === 5 || code === 11 ? { minLength: 4, maxLength: 4 } : { maxLength: 40 })
          .map((data) => ({ code, data })),
      ),
    { minLength: 1, maxLength: 6 },
  )
  .map((subOptions) => ({ subOptions }));

const options: fc.Arbitrary<DhcpOptions> = fc.record(
  {
    subnetMask: ipv4,
    routers: fc.array(ipv4, { minLength: 1, maxLength: 80 }),
    domainNameServers: fc.array(ipv4, { minLength: 1, maxLength: 4 }),
    hostName: rfc1123Name,
    bootFileSize: u16,
    domainName: rfc1123Name,
    broadcastAddress: ipv4,
    vendorSpecific: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    requestedIpAddress: ipv4,
    leaseTime: u32,
    serverIdentifier: ipv4,
    parameterRequestList: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 255 }),
    message: octetText(1, 80),
    maximumMessageSize: u16,
    renewalTime: u32,
    rebindingTime: u32,
    vendorClassIdentifier: octetText(1, 300),
    clientIdentifier: fc.uint8Array({ minLength: 2, maxLength: 300 }),
    tftpServerName: octetText(1, 60),
    bootFileName: octetText(1, 200),
    userClass: fc.uint8Array({ minLength: 1, maxLength: 40 }).map(userClassFromRaw),
    clientFqdn: fqdn,
    relayAgentInformation: relayAgent,
    clientSystemArchitectures: fc.array(u16, { minLength: 1, maxLength: 4 }),
    clientNetworkInterface: fc.record({
      type: fc.integer({ min: 0, max: 255 }),
      major: fc.integer({ min: 0, max: 255 }),
      minor: fc.integer({ min: 0, max: 255 }),
    }),
    clientMachineId: fc.option(
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b, 'network')),
      { nil: null },
    ),
    ipxeEncapsulated: fc.uint8Array({ maxLength: 60 }),
    pxelinuxConfigFile: octetText(1, 60),
    pxelinuxPathPrefix: octetText(1, 60),
    pxelinuxRebootTime: u32,
  },
  { requiredKeys: [] },
);

/** Codes with no registry entry and no structural meaning: what `otherOptions` holds. */
const unregisteredCode = fc
  .integer({ min: 1, max: 254 })
  .filter((c) => c !== 52 && c !== 53 && optionNameOf(c) === undefined);

const otherOptions = fc.uniqueArray(
  fc.record({ code: unregisteredCode, data: fc.uint8Array({ maxLength: 300 }) }),
  { selector: (o) => o.code, maxLength: 5 },
);

const messageType = fc.constantFrom<DhcpMessageType>(
  'discover',
  'offer',
  'request',
  'decline',
  'ack',
  'nak',
  'release',
  'inform',
);

/** Any message the encoder accepts, with every typed option possible. */
export const dhcpMessage: fc.Arbitrary<DhcpMessage> = fc
  .record({
    op: fc.constantFrom('request' as const, 'reply' as const),
    hardware: fc.oneof(
      fc.record({
        hardwareType: fc.integer({ min: 1, max: 255 }),
        clientHardwareAddress: fc.uint8Array({ maxLength: 16 }),
      }),
      fc.constant({ hardwareType: 0, clientHardwareAddress: new Uint8Array(0) }),
    ),
    hops: fc.integer({ min: 0, max: 255 }),
    transactionId: u32,
    secondsElapsed: u16,
    flags: u16,
    clientAddress: ipv4,
    yourAddress: ipv4,
    nextServerAddress: ipv4,
    relayAgentAddress: ipv4,
    serverHostName: octetText(0, 63),
    bootFile: octetText(0, 127),
    messageType,
    options,
    otherOptions,
  })
  .map(({ hardware, ...rest }) => ({ ...rest, ...hardware, rejectedOptions: [] }));
