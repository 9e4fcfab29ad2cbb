// node --import tsx bench/tftp-burst-summary.ts LINES: the table of bench/tftp-burst.sh's results file, from its
// raw lines ("ROUND FILE SERVER JSON", JSON as the kit's tftp-client.mjs prints it, or {"error": ...} when the
// server did not start, its warm-up failed or the client printed nothing).
//
// A round counts for a server only when its line is well formed and every transfer completed with its times: a
// failed transfer ends early or waits out its timeouts, so its wall time measures neither the server's speed nor a
// fair loss. Lines that are not of that shape at all are counted apart, not made into rows.
import { readFileSync } from 'node:fs';
import { median, spread } from './stats.js';

const [linesPath] = process.argv.slice(2);
if (!linesPath) {
  console.error('usage: node --import tsx bench/tftp-burst-summary.ts LINES');
  process.exit(2);
}

interface Row {
  readonly file: string;
  readonly name: string;
  readonly usable: boolean;
  readonly burstMs: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

/** A positive, finite number of seconds as milliseconds; NaN for anything else. */
function milliseconds(seconds: unknown): number {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : NaN;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

let malformed = 0;
const rows: Row[] = [];
for (const line of readFileSync(linesPath, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const [round = '', file = '', name = '', ...rest] = line.split(' ');
  if (!/^[1-9][0-9]*$/.test(round) || file === '' || name === '' || rest.length === 0) {
    malformed += 1;
    continue;
  }
  let result: unknown;
  try {
    result = JSON.parse(rest.join(' '));
  } catch {
    result = undefined;
  }
  const burstMs = milliseconds(field(result, 'wall_s'));
  const p50Ms = milliseconds(field(field(result, 'transfer_s'), 'p50'));
  const maxMs = milliseconds(field(field(result, 'transfer_s'), 'max'));
  const usable =
    field(result, 'error') === undefined &&
    field(result, 'failed') === 0 &&
    [burstMs, p50Ms, maxMs].every((ms) => !Number.isNaN(ms));
  rows.push({ file, name, usable, burstMs, p50Ms, maxMs });
}

console.log('| file | server | rounds used | burst ms | transfer p50 ms | transfer max ms | vs dnsmasq |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const servers = [...new Set(rows.map((r) => r.name))];
for (const file of [...new Set(rows.map((r) => r.file))]) {
  const used = (name: string): Row[] => rows.filter((r) => r.file === file && r.name === name && r.usable);
  const reference = used('dnsmasq').map((r) => r.burstMs);
  for (const name of servers) {
    const all = rows.filter((r) => r.file === file && r.name === name);
    if (all.length === 0) continue;
    const ok = used(name);
    const bursts = ok.map((r) => r.burstMs);
    const ratio =
      reference.length && bursts.length ? `${(median(bursts) / median(reference)).toFixed(2)}×` : '–';
    console.log(
      `| ${file} | ${name} | ${ok.length} of ${all.length} | ${spread(bursts)} | ${spread(ok.map((r) => r.p50Ms))} | ` +
        `${spread(ok.map((r) => r.maxMs))} | ${ratio} |`,
    );
  }
}
if (malformed > 0)
  console.log(`\n${malformed} line(s) not of the form "ROUND FILE SERVER JSON" were left out.`);
