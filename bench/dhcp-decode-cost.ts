// What decoding one DHCP datagram costs, for the costliest option layouts a 1500-byte datagram can carry
// (reliability catalogue D32: "never > 1 ms per packet") beside packets captured from real clients. A bench, not a
// test: nothing fails when a number is bad; `npm run bench -- codec` runs it and writes the summary that
// bench/README.md quotes.
//
//   node --import tsx bench/dhcp-decode-cost.ts [--batches 50] [--batch 2000]
//
// Each packet is decoded in `--batches` timed batches of `--batch` decodes (after one untimed batch to warm the
// JIT); a batch's mean is one sample. Prints a Markdown table: median and worst batch mean in µs per packet, the
// worst as a fraction of the 1 ms budget, and the median as a multiple of the median golden packet's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeDhcpMessage } from '../src/protocol/dhcp4/index.js';
import { WORST_OPTION_LAYOUTS } from '../test/protocol/dhcp4/raw-packet.js';

const BUDGET_US = 1000;
const GOLDEN = ['dhclient-discover', 'udhcpc-discover', 'ipxe-bios-discover', 'ovmf-x64-discover'];
const GOLDEN_DIR = path.resolve(import.meta.dirname, '../test/golden/dhcp4');

const args = process.argv.slice(2);
const BATCHES = intArg('--batches', 50);
const BATCH = intArg('--batch', 2000);

interface Sample {
  readonly name: string;
  readonly bytes: number;
  readonly medianUs: number;
  readonly worstUs: number;
}

const golden = GOLDEN.map((name) => ({
  name: `golden ${name}`,
  bytes: Buffer.from(readFileSync(path.join(GOLDEN_DIR, `${name}.hex`), 'utf8').replace(/[\s:]/g, ''), 'hex'),
}));
const goldenSamples = golden.map(measure);
const worstSamples = WORST_OPTION_LAYOUTS.map(measure);
const baseline = median(goldenSamples.map((s) => s.medianUs));

console.log(
  `Decode cost, ${String(BATCHES)} batches of ${String(BATCH)} decodes per packet; Node ${process.version}.`,
);
console.log('');
console.log(
  '| packet | bytes | µs/packet (median batch) | µs/packet (worst batch) | worst / 1 ms budget | × golden median |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const s of [...goldenSamples, ...worstSamples]) {
  console.log(
    `| ${s.name} | ${String(s.bytes)} | ${s.medianUs.toFixed(2)} | ${s.worstUs.toFixed(2)} | ` +
      `${(s.worstUs / BUDGET_US).toFixed(4)} | ${(s.medianUs / baseline).toFixed(1)} |`,
  );
}

function measure(packet: { readonly name: string; readonly bytes: Uint8Array }): Sample {
  decodeBatch(packet.bytes);
  const means: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const started = process.hrtime.bigint();
    decodeBatch(packet.bytes);
    means.push(Number(process.hrtime.bigint() - started) / 1000 / BATCH);
  }
  return {
    name: packet.name,
    bytes: packet.bytes.length,
    medianUs: median(means),
    worstUs: Math.max(...means),
  };
}

function decodeBatch(bytes: Uint8Array): void {
  for (let i = 0; i < BATCH; i++) decodeDhcpMessage(bytes);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function intArg(flag: string, fallback: number): number {
  const at = args.indexOf(flag);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`);
  return value;
}
