// Issue 6 item 5 end to end on loopback: a running server (main.ts) with its store, TFTP server, capture recorder
// and API; real DHCP packets captured from OVMF (test/golden) through the DHCP intake and the real engine; real
// TFTP clients (atftp with options, tftp-hpa without) against the server; the capture downloaded from the API and
// read by tshark. Then a restart (the capture is still there) and a forget (it is gone).
//
// DHCP goes through DhcpIntake.accept, the listener's datagram entry point, with the replies collected instead of
// sent: the engine answers a client without an address by broadcast (RFC 2131 §4.1), and a broadcast on `lo`
// reaches every port-68 socket of this host, other test runs' DHCP probes included. What is tested is the same
// code from the decoded datagram on: the intake's taps, the engine, the recorder, the store, the API.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/api/tokens.js';
import { defaultBootFileTable, NEXT_SERVER_TOKEN } from '../../src/boot/boot-file.js';
import type { FleetbootConfig } from '../../src/config/schema.js';
import { createDhcpEngine } from '../../src/dhcp/engine.js';
import type { MachineId } from '../../src/inventory/machine.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { systemClock } from '../../src/net/clock.js';
import { DhcpIntake } from '../../src/net/dhcp-intake.js';
import { dhcpTransportMetrics } from '../../src/net/dhcp-metrics.js';
import { decodeDhcpMessage, encodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';
import { encodeTftpPacket } from '../../src/protocol/tftp/index.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { golden } from '../protocol/dhcp4/support.js';
import { loadConfigText } from '../support/config-text.js';
import { memoryLogger } from '../support/logger.js';
import { tsharkExpertItems, tsharkFields } from '../support/tshark.js';

const run = promisify(execFile);
const MAC = parseMac('52:54:00:fb:ca:11'); // OVMF's, in the golden packets
const LOOPBACK = parseIpv4('127.0.0.1');
const LOADER = Buffer.alloc(13 * 1468 + 916, 7); // 14 blocks of 1468, the last of 916
const MENU = Buffer.alloc(1000, 9); // 2 blocks of 512, the last of 488

let dir: string;
let config: FleetbootConfig;
let server: RunningServer;
let viewer: string;
let admin: string;
let machineId: MachineId;
let firstDownload: Buffer;
const replies: { label: string; bytes: Uint8Array }[] = [];

const tftpPort = () => config.tftp.listen.port;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-boot-capture-'));
  const root = path.join(dir, 'tftp');
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'snponly.efi'), LOADER, { mode: 0o644 });
  writeFileSync(path.join(root, 'menu.txt'), MENU, { mode: 0o644 });
  // The machine is at 127.0.0.1 (its reservation), where the TFTP clients of this test come from; fleetboot
  // answers from 127.0.0.1 too. The DHCP mode of serve is off: the test drives DHCP itself (see above), and the
  // leases fleetboot granted are what places a TFTP client then (provision/boot-clients.ts).
  ({ config } = loadConfigText(`
dataDir: ${path.join(dir, 'data')}
http: {listen: '127.0.0.1:0'}
tftp: {listen: '127.0.0.1:${await freeUdpPort()}', roots: ['${root}'], blocksize: 1468}
dhcp:
  subnets:
    - subnet: 127.0.0.0/8
      reservations: [{mac: '${MAC}', ip: 127.0.0.1}]
`));
  server = await startServer({ config, logger: memoryLogger('info').logger });
  viewer = (await createApiToken(server.store.tokens, { name: 'viewer', role: 'viewer', createdBy: 'test' }))
    .secret;
  admin = (await createApiToken(server.store.tokens, { name: 'admin', role: 'admin', createdBy: 'test' }))
    .secret;
}, 60_000);

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, url: string, token: string): Promise<Response> {
  return fetch(`http://${server.httpAddress}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
}

async function download(): Promise<{ file: string; bytes: Buffer; response: Response }> {
  const response = await api('GET', `/machines/${machineId}/capture`, viewer);
  const bytes = Buffer.from(await response.arrayBuffer());
  const file = path.join(dir, `capture-${Date.now()}.pcap`);
  writeFileSync(file, bytes);
  return { file, bytes, response };
}

describe('a machine\u2019s boot as a pcap file', () => {
  it('is captured from DHCP and TFTP, served by the API, and read by tshark in order with the real sizes', async () => {
    // DORA: OVMF's DISCOVER, then its REQUEST for what fleetboot offered (options 50 and 54 as a client fills them
    // from the OFFER it took; the rest as OVMF sent it).
    const { logger } = memoryLogger('info');
    const engine = createDhcpEngine({
      config: { ...config.dhcp, mode: 'full' },
      leases: server.store.leases,
      inventory: server.store.inventory,
      events: server.store.events,
      clock: systemClock,
      logger,
      bootFiles: defaultBootFileTable(`http://${NEXT_SERVER_TOKEN}:8080`),
    });
    await engine.start();
    const answered = (): Promise<void> => repliesSent(replies.length + 1);
    const intake = new DhcpIntake({
      interfaceName: 'lo',
      interfaceAddress: LOOPBACK,
      handler: engine,
      send: (_port, bytes) => {
        replies.push({ label: decodeDhcpMessage(bytes).messageType, bytes });
        return Promise.resolve();
      },
      metrics: dhcpTransportMetrics(server.metrics),
      logger,
      clock: systemClock,
      capture: server.capture.dhcp,
    });
    const client = { address: '0.0.0.0', port: 68 };
    const discover = golden('ovmf-x64-discover');
    intake.accept(discover, 67, client);
    await answered();
    const offer = decodeDhcpMessage(replies[0]?.bytes ?? new Uint8Array());
    expect(offer.messageType).toBe('offer');
    expect(offer.yourAddress).toBe(LOOPBACK);
    const selecting = decodeDhcpMessage(golden('ovmf-x64-request-selecting'));
    const request = encodeDhcpMessage({
      ...selecting,
      options: { ...selecting.options, requestedIpAddress: LOOPBACK, serverIdentifier: LOOPBACK },
    });
    intake.accept(request, 67, client);
    await answered();
    expect(replies.map((r) => r.label)).toEqual(['offer', 'ack']);
    await intake.idle();
    await engine.stop();

    // TFTP: atftp with blksize and tsize (an OACK), tftp-hpa plain (lock-step), tftp-hpa for a missing file.
    await atftp([
      '--option',
      'blksize 1468',
      '--option',
      'tsize 0',
      '-g',
      '-r',
      'snponly.efi',
      '-l',
      local('a'),
    ]);
    await tftpHpa(['-c', 'get', 'menu.txt', local('b')]);
    expect(await tftpHpa(['-c', 'get', 'missing.efi', local('c')])).toMatch(/File not found/);

    const machine = await server.store.inventory.getByMac(MAC);
    if (machine === undefined) throw new Error('the DHCP exchange enrolled no machine');
    machineId = machine.id;
    // The recorder writes behind the traffic, and tries a first DISCOVER again once its machine is enrolled.
    await expect
      .poll(async () => (await server.store.captures.list(machineId)).length, { timeout: 10_000 })
      .toBe(4 + 7 + 5 + 2);

    const { file, bytes, response } = await download();
    firstDownload = bytes;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.tcpdump.pcap');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="52-54-00-fb-ca-11-boot.pcap"',
    );
    const rows = await tsharkFields(file, [
      'frame.len',
      'frame.cap_len',
      'ip.src',
      'ip.dst',
      'dhcp.option.dhcp',
      'dhcp.option.client_system_architecture',
      'dhcp.option.vendor_class_id',
      'dhcp.file',
      'tftp.opcode',
      'tftp.block',
      'tftp.source_file',
      'tftp.option.name',
      'tftp.error.code',
    ]);
    const line = (r: Record<string, string>): string => {
      if (r['dhcp.option.dhcp'] !== '') return `DHCP ${r['dhcp.option.dhcp'] ?? ''}`;
      const opcode = Number(r['tftp.opcode']);
      const name = ['', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'][opcode] ?? `opcode ${opcode}`;
      const detail =
        opcode === 1
          ? ` ${r['tftp.source_file'] ?? ''}`
          : opcode === 3 || opcode === 4
            ? ` ${r['tftp.block'] ?? ''}`
            : opcode === 5
              ? ` ${r['tftp.error.code'] ?? ''}`
              : opcode === 6
                ? ` ${r['tftp.option.name'] ?? ''}`
                : '';
      return `${name}${detail} ${r['frame.len'] ?? ''}/${r['frame.cap_len'] ?? ''}`;
    };
    const header = 42;
    // atftp asks for tsize, then blksize; the OACK answers in the order asked.
    const asked = [
      { name: 'tsize', value: '0' },
      { name: 'blksize', value: '1468' },
    ];
    const rrqLength = encodeTftpPacket({
      kind: 'rrq',
      filename: 'snponly.efi',
      mode: 'octet',
      options: asked,
    }).length;
    const oackLength = encodeTftpPacket({
      kind: 'oack',
      options: [
        { name: 'tsize', value: String(LOADER.length) },
        { name: 'blksize', value: '1468' },
      ],
    }).length;
    expect(rows.map(line)).toEqual([
      // DISCOVER, OFFER, REQUEST, ACK (RFC 2132 §9.6 numbers)
      'DHCP 1',
      'DHCP 2',
      'DHCP 3',
      'DHCP 5',
      `RRQ snponly.efi ${header + rrqLength}/${header + rrqLength}`,
      `OACK tsize,blksize ${header + oackLength}/${header + oackLength}`,
      `ACK 0 ${header + 4}/${header + 4}`,
      `DATA 1 ${header + 4 + 1468}/${header + 4}`,
      `ACK 1 ${header + 4}/${header + 4}`,
      `DATA 14 ${header + 4 + 916}/${header + 4}`,
      `ACK 14 ${header + 4}/${header + 4}`,
      `RRQ menu.txt ${header + 17}/${header + 17}`,
      `DATA 1 ${header + 4 + 512}/${header + 4}`,
      `ACK 1 ${header + 4}/${header + 4}`,
      `DATA 2 ${header + 4 + 488}/${header + 4}`,
      `ACK 2 ${header + 4}/${header + 4}`,
      `RRQ missing.efi ${header + 20}/${header + 20}`,
      `ERROR 1 ${header + 4 + 'File not found'.length + 1}/${header + 4 + 'File not found'.length + 1}`,
    ]);
    const [discovered, offered] = rows;
    expect(discovered).toMatchObject({
      'frame.len': String(header + discover.length),
      'ip.src': '0.0.0.0',
      'ip.dst': '255.255.255.255',
      'dhcp.option.client_system_architecture': '7',
      'dhcp.option.vendor_class_id': 'PXEClient:Arch:00007:UNDI:003000',
    });
    // The boot file the OFFER named, as sent: a TFTP path, no install token.
    expect(offered).toMatchObject({
      'ip.src': '127.0.0.1',
      'ip.dst': '255.255.255.255',
      'dhcp.file': 'snponly.efi',
    });
    // Wireshark objects to nothing but the TFTP ERROR, which it flags on purpose.
    expect(await tsharkExpertItems(file)).toEqual([
      { frame: 18, severity: 'warn', message: 'TFTP ERROR packet' },
    ]);
  }, 60_000);

  it('is still there after a restart', async () => {
    await server.stop();
    server = await startServer({ config, logger: memoryLogger('info').logger });
    const { bytes, response } = await download();
    expect(response.status).toBe(200);
    expect(bytes.equals(firstDownload)).toBe(true);
  }, 60_000);

  it('is gone once the machine is forgotten', async () => {
    expect((await api('DELETE', `/machines/${machineId}`, admin)).status).toBe(200);
    expect((await api('GET', `/machines/${machineId}/capture`, viewer)).status).toBe(404);
    expect(await server.store.captures.list(machineId)).toEqual([]);
  });
});

function local(name: string): string {
  return path.join(dir, name);
}

async function atftp(args: readonly string[]): Promise<void> {
  await run('atftp', [...args, '127.0.0.1', String(tftpPort())], { timeout: 30_000 });
}

async function tftpHpa(args: readonly string[]): Promise<string> {
  const { stdout, stderr } = await run('tftp', ['-m', 'binary', '127.0.0.1', String(tftpPort()), ...args], {
    timeout: 30_000,
  });
  return stdout + stderr;
}

/** Waits until the intake has sent `count` replies. */
async function repliesSent(count: number): Promise<void> {
  await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(count);
}

/** A UDP port free on 127.0.0.1 a moment ago: the TFTP server's, fixed so that a restart listens there again. */
function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => {
        resolve(port);
      });
    });
  });
}
