// Per-repeat DHCP figures that issue 3 asks for and the kit's summarize.mjs does not print: the share of clients
// that never got an ACK ("drop"), retransmitted packets, and duplicate addresses (clients ACKed minus distinct
// addresses they were given, as the load generator saw them). Reads the kit's raw JSON lines; prints markdown.
// Run: node --import tsx bench/dhcp-checks.ts bench/results/raw/RUNID.jsonl [...]   (bench/run.sh does)
import { readFileSync } from 'node:fs';

interface Latency {
  readonly p50?: number;
  readonly p99?: number;
}

/** The fields of lib/dhcp-load.mjs's output used here; the kit writes more. */
interface LoadResult {
  readonly error?: string;
  readonly clients: number;
  readonly load?: { readonly concurrency?: number; readonly rate?: number };
  readonly completed: number;
  readonly failed: number;
  readonly retransmits: number;
  readonly distinct_addresses: number;
  readonly exchanges_per_s?: number;
  readonly latency_ms?: { readonly exchange?: Latency };
  /** The load generator's own CPU time for the phase (user + system). */
  readonly client_cpu_s?: number;
}

interface ResultLine {
  readonly type: string;
  readonly bench: string;
  readonly phase: string;
  readonly server: string;
  readonly repeat: number;
  /** The server's cgroup CPU time over the phase. */
  readonly server_cpu_s?: number;
  readonly client?: LoadResult;
}

const fmt = (x: number | undefined, digits: number): string => (x === undefined ? '–' : x.toFixed(digits));

// The kit can write a line that is not JSON (an empty `server_rss_peak_kb` when a phase ends before its RSS
// sampler wrote once); such a line is left out and reported, as summarize.mjs leaves it out silently.
const unreadable: string[] = [];
const parse = (line: string): ResultLine[] => {
  try {
    return [JSON.parse(line) as ResultLine];
  } catch {
    unreadable.push(line.slice(0, 120));
    return [];
  }
};

const rows = process.argv
  .slice(2)
  .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
  .filter((line) => line.trim() !== '')
  .flatMap(parse)
  // perfdhcp lines have another shape; the kit's summary already tabulates them.
  .filter(
    (r) => r.type === 'result' && r.bench === 'dhcp' && r.phase !== 'perfdhcp' && r.client !== undefined,
  );

// CPU per exchange of both sides: the server and the load generator share the machine's CPUs, so what a server
// may spend per exchange at a given rate is what the generator leaves (bench/README.md "Eleventh round").
const perExchange = (cpuS: number | undefined, completed: number): string =>
  cpuS === undefined || completed === 0 ? '–' : fmt((cpuS * 1e6) / completed, 0);

const out = [
  '| phase | server | repeat | clients | in flight / rate | completed | drop % (no ACK) | retransmits | duplicate addresses | exchanges/s | p50 ms | p99 ms | server CPU µs / exchange | client CPU µs / exchange |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const r of rows) {
  const c = r.client;
  if (c === undefined) continue;
  if (c.error !== undefined) {
    out.push(`| ${r.phase} | ${r.server} | ${r.repeat} | ${c.error} | | | | | | | | | | |`);
    continue;
  }
  const load =
    c.load?.concurrency !== undefined ? `${c.load.concurrency} in flight` : `${c.load?.rate ?? '?'}/s`;
  const lat = c.latency_ms?.exchange ?? {};
  out.push(
    `| ${r.phase} | ${r.server} | ${r.repeat} | ${c.clients} | ${load} | ${c.completed} | ` +
      `${fmt((100 * c.failed) / c.clients, 2)} | ${c.retransmits} | ${c.completed - c.distinct_addresses} | ` +
      `${fmt(c.exchanges_per_s, 1)} | ${fmt(lat.p50, 2)} | ${fmt(lat.p99, 2)} | ` +
      `${perExchange(r.server_cpu_s, c.completed)} | ${perExchange(c.client_cpu_s, c.completed)} |`,
  );
}
for (const line of unreadable) out.push('', `Left out, not JSON (as the kit wrote it): \`${line}…\``);
console.log(out.join('\n'));
