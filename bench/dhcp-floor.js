// The floor under fleetboot's DHCP rate: the least a DHCP server in Node.js can do for the bench kit's load, with
// fleetboot's own transport, so that the kit can measure it beside fleetboot and Kea in one run (bench/README.md,
// "The floor"). Not a server: no store, no policy, no checks beyond what the kit's clients need; every DISCOVER
// gets an OFFER and every REQUEST an ACK for the next pool address by MAC, broadcast to 255.255.255.255:68.
//
//   node bench/dhcp-floor.js --level transport|codec [--warm N]
//                                     (run by servers/dhcp-floor.sh with the kit's HB_* variables)
//
// transport: fleetboot's socket (src/net/udp-interface-socket.ts: SO_BINDTODEVICE, adopted by dgram, the same
//            buffers) and nothing else: the xid, chaddr and message type read in place, the reply a fixed 300-byte
//            template with xid, yiaddr, chaddr and type written in.
// codec:     as transport, with fleetboot's codec on both sides: decodeDhcpMessage on the request, and the reply
//            built with replyTo and written by encodeReply (option 55 honoured, 300-byte padding), as serve does.
// --warm N:  before the socket opens, N made-up PXE exchanges (a DISCOVER and a REQUEST each: the made-up clients
//            of serve's warm-up, madeUpPxeRequest in src/dhcp/warm-up.ts) through the same reply function, so that a
//            burst right after start meets compiled code, as serve's warm-up gives fleetboot (bench/README.md,
//            "Eleventh round").
// Imports the build (dist/, from BENCH_FLEETBOOT_ROOT or this repository): `npm run build` first.
import { Buffer } from 'node:buffer';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT =
  process.env.BENCH_FLEETBOOT_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (module) => import(path.join(ROOT, 'dist', module));
const { openInterfaceSocket } = await dist('net/udp-interface-socket.js');
const { createLogger } = await dist('observability/logger.js');
const { decodeDhcpMessage } = await dist('protocol/dhcp4/decode.js');
const { madeUpPxeRequest } = await dist('dhcp/warm-up.js');
const { encodeDhcpMessage } = await dist('protocol/dhcp4/encode.js');
const { encodeReply, replyTo } = await dist('protocol/dhcp4/reply.js');
const { ipv4FromInt, ipv4ToBytes, ipv4ToInt, parseIpv4 } = await dist('values/ipv4.js');

const env = (name) => {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new Error(`dhcp-floor: ${name} is not set (run by the bench kit)`);
  return value;
};
const level = process.argv[process.argv.indexOf('--level') + 1];
if (level !== 'transport' && level !== 'codec') throw new Error('dhcp-floor: --level transport|codec');
const warm = process.argv.includes('--warm') ? Number(process.argv[process.argv.indexOf('--warm') + 1]) : 0;
if (!Number.isInteger(warm) || warm < 0) throw new Error('dhcp-floor: --warm wants a count of exchanges');

const serverIp = parseIpv4(env('HB_SERVER_IP'));
const netmask = parseIpv4(env('HB_NETMASK'));
const poolEnd = ipv4ToInt(parseIpv4(env('HB_POOL_END')));
let nextAddress = ipv4ToInt(parseIpv4(env('HB_POOL_START')));
const addressByMac = new Map();

/** The MAC's address, the next free one on first sight; undefined once the pool is spent. */
function addressOf(mac) {
  let address = addressByMac.get(mac);
  if (address === undefined && nextAddress <= poolEnd) {
    address = nextAddress++;
    addressByMac.set(mac, address);
  }
  return address;
}

const MAGIC = [99, 130, 83, 99];
// op 2, htype 1, hlen 6; magic cookie; 53 (type, at 242), 54 server id, 51 lease time, 1 subnet mask, end; padded.
const template = Buffer.alloc(300);
template.set([2, 1, 6], 0);
template.set(MAGIC, 236);
template.set([53, 1, 0, 54, 4, ...ipv4ToBytes(serverIp), 51, 4, 0, 0, 0xa8, 0xc0], 240);
template.set([1, 4, ...ipv4ToBytes(netmask), 255], 255);

/** The message type (option 53) of a request, read in place; 0 if it has none. */
function messageType(bytes) {
  for (let i = 240; i + 1 < bytes.length;) {
    const code = bytes[i];
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    if (code === 53) return bytes[i + 2];
    i += 2 + bytes[i + 1];
  }
  return 0;
}

function transportReply(bytes) {
  if (bytes.length < 244 || bytes[0] !== 1) return undefined;
  const type = messageType(bytes);
  if (type !== 1 && type !== 3) return undefined;
  const address = addressOf(bytes.toString('hex', 28, 34));
  if (address === undefined) return undefined;
  const reply = Buffer.from(template);
  bytes.copy(reply, 4, 4, 8); // xid
  bytes.copy(reply, 10, 10, 12); // flags
  reply.writeUInt32BE(address, 16); // yiaddr
  bytes.copy(reply, 28, 28, 44); // chaddr
  reply[242] = type === 1 ? 2 : 5; // OFFER or ACK
  return reply;
}

function codecReply(bytes) {
  let request;
  try {
    request = decodeDhcpMessage(bytes);
  } catch {
    return undefined;
  }
  const type = request.messageType;
  if (type !== 'discover' && type !== 'request') return undefined;
  const address = addressOf(Buffer.from(request.clientHardwareAddress).toString('hex'));
  if (address === undefined) return undefined;
  const base = replyTo(request, type === 'discover' ? 'offer' : 'ack');
  const reply = {
    ...base,
    yourAddress: ipv4FromInt(address),
    options: { ...base.options, serverIdentifier: serverIp, leaseTime: 43200, subnetMask: netmask },
  };
  return encodeReply(reply, request).bytes;
}

const replyFor = level === 'transport' ? transportReply : codecReply;

// serve's made-up clients (src/dhcp/warm-up.ts), with MACs of their own (locally administered, 0e:…) whose
// addresses are forgotten afterwards, so the kit's clients find the pool as it was.
for (let i = 0; i < warm; i++) {
  const mac = Uint8Array.of(0x0e, 0, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff, 1);
  for (const type of ['discover', 'request']) {
    replyFor(Buffer.from(encodeDhcpMessage(madeUpPxeRequest(type, i + 1, mac, i, {}))));
  }
}
const warmed = addressByMac.size;
addressByMac.clear();
nextAddress -= warmed;
const logger = createLogger({ level: 'warn' });
const opened = await openInterfaceSocket({
  interfaceName: env('HB_IFACE'),
  port: Number(env('HB_DHCP_PORT')),
  logger,
});
// A send the kernel refuses (ENOBUFS under load) is a lost reply, as for any server: counted, not fatal.
let sendErrors = 0;
opened.socket.on('error', () => {
  sendErrors += 1;
});
opened.socket.on('message', (bytes) => {
  const reply = replyFor(bytes);
  if (reply !== undefined) opened.socket.send(reply, 68, '255.255.255.255');
});
process.once('SIGTERM', () => {
  if (sendErrors > 0) process.stderr.write(`dhcp-floor: ${String(sendErrors)} replies not sent\n`);
  void opened.close().then(() => process.exit(0));
});
