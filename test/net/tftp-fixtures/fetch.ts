// The test client as a process of its own (inside a lab namespace, or beside the server to use the second core):
//   node --import tsx fetch.ts '<json FetchSpec>'
// Runs every job (each `count` times), at most `concurrency` at once, and prints one `result <json>` line per
// transfer, then `done <ok> <failed>`. Exit status 0 when every transfer succeeded.
import { tftpGet, type GetOptions, type GetResult } from './client.js';

export interface FetchJob extends Omit<GetOptions, 'server' | 'keep'> {
  readonly count?: number;
  /** A label echoed in the result lines. */
  readonly label?: string;
}

export interface FetchSpec {
  readonly server: { readonly address: string; readonly port: number };
  readonly jobs: readonly FetchJob[];
  readonly concurrency?: number;
}

export interface FetchResultLine extends Omit<GetResult, 'data'> {
  readonly label: string | undefined;
  readonly file: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FetchSpec;
const queue: FetchJob[] = spec.jobs.flatMap((job) => Array.from({ length: job.count ?? 1 }, () => job));
let ok = 0;
let failed = 0;

async function worker(): Promise<void> {
  for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
    const { count: _count, label, ...get } = job;
    const result = await tftpGet({ ...get, server: spec.server });
    const { data: _data, ...summary } = result;
    const line: FetchResultLine = { ...summary, label, file: job.file };
    process.stdout.write(`result ${JSON.stringify(line)}\n`);
    if (result.ok) ok += 1;
    else failed += 1;
  }
}

const workers = Math.max(1, Math.min(spec.concurrency ?? queue.length, queue.length));
await Promise.all(Array.from({ length: workers }, () => worker()));
process.stdout.write(`done ${ok} ${failed}\n`);
process.exit(failed === 0 ? 0 : 1);
