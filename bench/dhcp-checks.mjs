#!/usr/bin/env node
// Per-repeat DHCP figures that issue 3 asks for and the kit's summarize.mjs does not print: the share of clients
// that never got an ACK ("drop"), retransmitted packets, and duplicate addresses (clients ACKed minus distinct
// addresses they were given). Reads the kit's raw JSON lines; prints markdown. No dependencies.
//   node bench/dhcp-checks.mjs bench/results/raw/RUNID.jsonl [...]
import { readFileSync } from 'node:fs';

const rows = process.argv
  .slice(2)
  .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l))
  .filter((r) => r.type === 'result' && r.bench === 'dhcp' && r.client && r.phase !== 'perfdhcp');

const fmt = (x, d = 1) => (x === undefined || x === null ? '–' : Number(x).toFixed(d));
const out = ['| phase | server | repeat | clients | in flight / rate | completed | drop % (no ACK) | retransmits | duplicate addresses | exchanges/s | p50 ms | p99 ms |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
for (const r of rows) {
  const c = r.client;
  if (c.error) {
    out.push(`| ${r.phase} | ${r.server} | ${r.repeat} | – | – | – | – | – | – | ${c.error} | – | – |`);
    continue;
  }
  const load = c.load?.concurrency !== undefined ? `${c.load.concurrency} in flight` : `${c.load?.rate}/s`;
  const lat = c.latency_ms?.exchange ?? {};
  out.push(
    `| ${r.phase} | ${r.server} | ${r.repeat} | ${c.clients} | ${load} | ${c.completed} | ${fmt((100 * c.failed) / c.clients, 2)} | ${c.retransmits} | ${c.completed - c.distinct_addresses} | ${fmt(c.exchanges_per_s)} | ${fmt(lat.p50, 2)} | ${fmt(lat.p99, 2)} |`,
  );
}
if (rows.length === 0) out.push('| (no DHCP load-generator results) |||||||||||');
console.log(out.join('\n'));
