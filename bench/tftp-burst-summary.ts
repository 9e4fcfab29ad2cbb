// node --import tsx bench/tftp-burst-summary.ts LINES: the table of bench/tftp-burst.sh's results file, from its raw lines
// ("ROUND FILE SERVER JSON", JSON as the kit's tftp-client.mjs prints it, or {"error": ...} when the server did
// not start or the client printed nothing).
//
// A round counts for a server only when its line parsed and every transfer completed: a failed transfer ends
// early or waits out its timeouts, so its wall time measures neither the server's speed nor a fair loss.
import { readFileSync } from 'node:fs';

const [linesPath] = process.argv.slice(2);
if (!linesPath) {
  console.error('usage: node --import tsx bench/tftp-burst-summary.ts LINES');
  process.exit(2);
}

interface KitResult {
  readonly error?: string;
  readonly failed?: number;
  readonly wall_s?: number;
  readonly transfer_s?: { readonly p50: number | null; readonly max: number | null };
}

interface Row {
  readonly file: string;
  readonly name: string;
  readonly usable: boolean;
  readonly burstMs: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

const rows: Row[] = readFileSync(linesPath, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [, file = '', name = '', ...rest] = line.split(' ');
    let result: KitResult;
    try {
      result = JSON.parse(rest.join(' ')) as KitResult;
    } catch {
      result = { error: 'unparsable client output' };
    }
    const usable = result.error === undefined && result.failed === 0 && typeof result.wall_s === 'number';
    return {
      file,
      name,
      usable,
      burstMs: (result.wall_s ?? NaN) * 1000,
      p50Ms: (result.transfer_s?.p50 ?? NaN) * 1000,
      maxMs: (result.transfer_s?.max ?? NaN) * 1000,
    };
  });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};
const f1 = (x: number): string => x.toFixed(1);
const spread = (xs: readonly number[]): string =>
  xs.length ? `${f1(median(xs))} [${f1(Math.min(...xs))}–${f1(Math.max(...xs))}]` : '–';

console.log('| file | server | rounds used | burst ms | transfer p50 ms | transfer max ms | vs dnsmasq |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const servers = [...new Set(rows.map((r) => r.name))];
for (const file of [...new Set(rows.map((r) => r.file))]) {
  const used = (name: string): Row[] => rows.filter((r) => r.file === file && r.name === name && r.usable);
  const reference = used('dnsmasq').map((r) => r.burstMs);
  for (const name of servers) {
    const all = rows.filter((r) => r.file === file && r.name === name);
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
