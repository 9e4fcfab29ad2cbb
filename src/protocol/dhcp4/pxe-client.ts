import { type Uuid, uuidFromBytes, uuidToBytes } from '../../values/uuid.js';
import type { OptionCodec } from './option-codecs.js';
import { dhcpDecodeError } from './reasons.js';

/**
 * Option 94, Client Network Interface Identifier (RFC 4578 §2.2): type 1 = UNDI, then the UNDI version. EDK2 sends
 * 1.3.0 unless the NIC's UNDI reports its own; iPXE's EFI builds send 1.3.10 (protocol-digest §2.1).
 */
export interface ClientNetworkInterface {
  readonly type: number;
  readonly major: number;
  readonly minor: number;
}

export const clientNetworkInterfaceCodec: OptionCodec<ClientNetworkInterface> = {
  decode(data, offset) {
    // RFC 4578 §2.2: length is exactly 3. Anything else: not a netboot client we can trust (D21).
    if (data.length !== 3) throw dhcpDecodeError(offset, 'opt-len', `option 94 of ${data.length} bytes`);
    return { type: data[0] ?? 0, major: data[1] ?? 0, minor: data[2] ?? 0 };
  },
  encode: (value) => Uint8Array.from([value.type, value.major, value.minor]),
};

/**
 * Option 97, Client Machine Identifier (RFC 4578 §2.3): type 0 followed by a 16-byte GUID. The GUID is in EFI
 * layout, first three fields little-endian: iPXE byte-swaps the SMBIOS UUID into it and EDK2 copies its EFI_GUID
 * (protocol-digest §2.1, §10.5), so reading it with the 'smbios' byte order gives the UUID `dmidecode` prints.
 * `null` is an option 97 sent with length 0, which some clients do and which is not an error (D21).
 */
export const clientMachineIdCodec: OptionCodec<Uuid | null> = {
  decode(data, offset) {
    if (data.length === 0) return null;
    if (data.length !== 17) throw dhcpDecodeError(offset, 'opt-len', `option 97 of ${data.length} bytes`);
    if (data[0] !== 0) throw dhcpDecodeError(offset, 'machine-id-type', `option 97 type ${data[0] ?? 0}`);
    return uuidFromBytes(data.subarray(1), 'smbios');
  },
  encode(value) {
    if (value === null) return new Uint8Array(0);
    const out = new Uint8Array(17);
    out.set(uuidToBytes(value, 'smbios'), 1);
    return out;
  },
};
