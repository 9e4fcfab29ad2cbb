// GET /machines/:id/capture (issue 6 item 5): a machine's captured packets as a pcap download.
import { describe, expect, it } from 'vitest';
import { captureFileName, PCAP_MEDIA_TYPE } from '../../src/api/routes/capture.js';
import { DEFAULT_CAPTURE_BOUND } from '../../src/inventory/capture.js';
import { parseMachineId } from '../../src/inventory/machine.js';
import { decodePcap } from '../../src/protocol/pcap/index.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { golden } from '../protocol/dhcp4/support.js';
import { pcapFile, tsharkFields } from '../support/tshark.js';
import { apiHarness, machine } from './harness.js';

const MAC = parseMac('52:54:00:00:00:01'); // machine(h, 1)

describe('GET /api/v1/machines/:id/capture', () => {
  it('downloads the machine\u2019s packets as a pcap attachment that tshark reads', async () => {
    const h = await apiHarness();
    const id = await machine(h, 1);
    const discover = golden('udhcpc-discover');
    await h.store.captures.append(
      [
        {
          at: 1_767_225_600_000,
          mac: MAC,
          protocol: 'dhcp',
          direction: 'in',
          source: { address: parseIpv4('0.0.0.0'), port: 68 },
          destination: { address: parseIpv4('255.255.255.255'), port: 67 },
          payload: discover,
          payloadLength: discover.length,
        },
      ],
      DEFAULT_CAPTURE_BOUND,
    );
    const res = await h.app.inject({
      url: `/api/v1/machines/${id}/capture`,
      headers: h.auth(h.tokens.viewer),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(PCAP_MEDIA_TYPE);
    expect(res.headers['content-disposition']).toBe('attachment; filename="52-54-00-00-00-01-boot.pcap"');
    expect(res.headers['cache-control']).toBe('no-store');
    const records = decodePcap(res.rawPayload);
    expect(records.map((r) => Uint8Array.from(r.frame.payload))).toEqual([discover]);
    const rows = await tsharkFields(pcapFile(res.rawPayload), ['dhcp.option.dhcp', 'eth.src']);
    expect(rows).toEqual([{ 'dhcp.option.dhcp': '1', 'eth.src': MAC }]);
  });

  it('names the file after the host name, and serves an empty capture for a machine without packets', async () => {
    const h = await apiHarness();
    const id = await machine(h, 1);
    await h.store.inventory.update(id, { hostname: 'node01' }, { version: 1 });
    const res = await h.app.inject({
      url: `/api/v1/machines/${id}/capture`,
      headers: h.auth(h.tokens.viewer),
    });
    expect(res.headers['content-disposition']).toBe('attachment; filename="node01-boot.pcap"');
    expect(decodePcap(res.rawPayload)).toEqual([]);
  });

  it('answers 404 for a machine that is not (or no longer) there, and 400 for a malformed id', async () => {
    const h = await apiHarness();
    const id = await machine(h, 1);
    await h.lifecycle.forget(id, { actor: 'test' });
    const gone = await h.app.inject({
      url: `/api/v1/machines/${id}/capture`,
      headers: h.auth(h.tokens.viewer),
    });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: { code: 'FLEETBOOT_MACHINE_NOT_FOUND' } });
    const bad = await h.app.inject({
      url: '/api/v1/machines/nope/capture',
      headers: h.auth(h.tokens.viewer),
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('captureFileName', () => {
  const id = parseMachineId('7f0c0c52-0a2b-4b1e-9a52-6a2f2d0f6c11');
  it.each([
    [{ hostname: 'web-01.lab', macs: [MAC] }, 'web-01.lab-boot.pcap'],
    [{ hostname: null, macs: [MAC] }, '52-54-00-00-00-01-boot.pcap'],
    [{ hostname: null, macs: [] }, `${id}-boot.pcap`],
    // Whatever a DHCP client called itself cannot break out of the header's quotes or into a path.
    [{ hostname: 'a"b;c/../d\r\n', macs: [MAC] }, 'a_b_c_.._d__-boot.pcap'],
    [{ hostname: '../etc', macs: [MAC] }, '_etc-boot.pcap'],
  ])('%o → %s', (fields, expected) => {
    expect(captureFileName({ id, ...fields })).toBe(expected);
  });
});
