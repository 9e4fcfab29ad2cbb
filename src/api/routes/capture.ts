// A machine's boot signalling as a pcap file (issue 6 item 5): its DHCP and TFTP control packets, kept by the
// capture recorder (capture/recorder.ts), for Wireshark, tshark or `tcpdump -r`, after the fact.
import Type from 'typebox';
import { capturePcap } from '../../capture/pcap.js';
import { type Machine, parseMachineId } from '../../inventory/machine.js';
import type { Store } from '../../store/types.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { MachineParamsSchema } from '../schemas.js';
import { machineNotFound } from './machines.js';

/** The media type of a libpcap file, as IANA registers it (vendor tree, tcpdump.org). */
export const PCAP_MEDIA_TYPE = 'application/vnd.tcpdump.pcap';

const PcapSchema = Type.Unsafe<Uint8Array>({
  type: 'string',
  contentMediaType: PCAP_MEDIA_TYPE,
  description: 'A classic libpcap file: Ethernet frames of UDP over IPv4, µs timestamps.',
});

export function captureRoutes(store: Store): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/machines/:id/capture',
      operationId: 'getMachineCapture',
      summary:
        'The DHCP and TFTP packets of the machine\u2019s boots as a pcap file (TFTP DATA kept as headers with their real sizes).',
      tag: 'machines',
      // What a viewer reads already in the machine's timeline (GET /machines/:id/events: DHCP options, boot file
      // names, TFTP file names and errors), as packets. No secret travels in them: a DHCP boot file comes from the
      // boot file table (dhcp.bootFiles, or the defaults), never with an install token; tokens are in the boot
      // configs and scripts TFTP DATA and HTTP carry, and no DATA payload is kept (net/tftp-capture.ts).
      access: 'viewer',
      params: MachineParamsSchema,
      response: PcapSchema,
      produces: PCAP_MEDIA_TYPE,
      handler: async ({ params, reply }) => {
        const machine = await store.inventory.get(parseMachineId(params.id));
        if (machine === undefined) throw machineNotFound(params.id);
        const pcap = capturePcap(await store.captures.list(machine.id));
        void reply
          .type(PCAP_MEDIA_TYPE)
          .header('content-disposition', `attachment; filename="${captureFileName(machine)}"`)
          .header('cache-control', 'no-store');
        return Buffer.from(pcap.buffer, pcap.byteOffset, pcap.byteLength);
      },
    }),
  ];
}

/**
 * `<machine>-boot.pcap`: the host name, else the first MAC (dashes for colons), else the id, in characters every
 * file system and shell takes as they are.
 */
export function captureFileName(machine: Pick<Machine, 'id' | 'hostname' | 'macs'>): string {
  const name = machine.hostname ?? machine.macs[0]?.replaceAll(':', '-') ?? machine.id;
  const safe = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, 63);
  return `${safe === '' ? machine.id : safe}-boot.pcap`;
}
