import { type Ipv4, ipv4FromBytes } from '../../values/ipv4.js';
import { EncodeError } from '../errors.js';
import type { OptionCodec } from './option-codecs.js';
import type { RawOption } from './raw-option.js';
import { dhcpDecodeError } from './reasons.js';

/** Sub-options of option 82 that fleetboot reads. */
export const RELAY_AGENT_CIRCUIT_ID = 1; // RFC 3046 §3.1
export const RELAY_AGENT_REMOTE_ID = 2; // RFC 3046 §3.2
export const RELAY_AGENT_LINK_SELECTION = 5; // RFC 3527 §3
export const RELAY_AGENT_SERVER_ID_OVERRIDE = 11; // RFC 5107 §4

/**
 * Option 82, Relay Agent Information (RFC 3046): the sub-options in the order the relay sent them. Sub-options
 * are plain TLVs with no pad or end code (RFC 3046 §2.0), so encoding this list gives back the relay's bytes
 * exactly: the echo RFC 3046 §2.2 requires ("SHALL echo the entire contents") is `relayAgentInformation` copied
 * from the request into the reply.
 */
export interface RelayAgentInformation {
  readonly subOptions: readonly RawOption[];
}

/** Sub-options whose length is fixed, so a reader can trust `linkSelection()` and `serverIdOverride()`. */
const FIXED_LENGTH: ReadonlyMap<number, number> = new Map([
  [RELAY_AGENT_LINK_SELECTION, 4],
  [RELAY_AGENT_SERVER_ID_OVERRIDE, 4],
]);

/**
 * A malformed option 82 refuses the packet (`relay-agent`): subnet selection trusts it (link selection), and a
 * reply cannot echo what could not be read.
 */
export const relayAgentInformationCodec: OptionCodec<RelayAgentInformation> = {
  decode(data, offset) {
    if (data.length === 0) throw dhcpDecodeError(offset, 'relay-agent', 'empty');
    const subOptions: RawOption[] = [];
    let i = 0;
    while (i < data.length) {
      const code = data[i] ?? 0;
      if (i + 1 >= data.length)
        throw dhcpDecodeError(offset + i, 'relay-agent', `sub-option ${code} has no length`);
      const length = data[i + 1] ?? 0;
      if (i + 2 + length > data.length) {
        throw dhcpDecodeError(offset + i, 'relay-agent', `sub-option ${code} runs past the option`);
      }
      const fixed = FIXED_LENGTH.get(code);
      if (fixed !== undefined && fixed !== length) {
        throw dhcpDecodeError(
          offset + i,
          'relay-agent',
          `sub-option ${code} has ${length} bytes, needs ${fixed}`,
        );
      }
      subOptions.push({ code, data: data.slice(i + 2, i + 2 + length) });
      i += 2 + length;
    }
    return { subOptions };
  },
  encode(value) {
    if (value.subOptions.length === 0) throw new EncodeError('empty', 'option 82 without sub-options');
    const parts: number[] = [];
    for (const { code, data } of value.subOptions) {
      if (!Number.isInteger(code) || code < 0 || code > 255 || data.length > 255) {
        throw new EncodeError('range', `option 82 sub-option ${code} of ${data.length} bytes`);
      }
      parts.push(code, data.length, ...data);
    }
    return Uint8Array.from(parts);
  },
};

export function relayAgentSubOption(info: RelayAgentInformation, code: number): Uint8Array | undefined {
  return info.subOptions.find((s) => s.code === code)?.data;
}

export function circuitId(info: RelayAgentInformation): Uint8Array | undefined {
  return relayAgentSubOption(info, RELAY_AGENT_CIRCUIT_ID);
}

export function remoteId(info: RelayAgentInformation): Uint8Array | undefined {
  return relayAgentSubOption(info, RELAY_AGENT_REMOTE_ID);
}

/** RFC 3527: the subnet the client is on, when it differs from giaddr. */
export function linkSelection(info: RelayAgentInformation): Ipv4 | undefined {
  const data = relayAgentSubOption(info, RELAY_AGENT_LINK_SELECTION);
  return data === undefined ? undefined : ipv4FromBytes(data);
}

/** RFC 5107: the address the relay wants the server to use as its server identifier. */
export function serverIdOverride(info: RelayAgentInformation): Ipv4 | undefined {
  const data = relayAgentSubOption(info, RELAY_AGENT_SERVER_ID_OVERRIDE);
  return data === undefined ? undefined : ipv4FromBytes(data);
}
