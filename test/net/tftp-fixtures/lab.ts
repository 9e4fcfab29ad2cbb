// Running the TFTP server fixture and the TS client inside lab namespaces.
import { fileURLToPath } from 'node:url';
import type { Host, LabProcess } from '../../../src/lab/index.js';
import type { TransferRecord } from '../../../src/net/tftp-record.js';
import { TSX_LOADER } from '../../support/cli.js';
import type { FetchResultLine, FetchSpec } from './fetch.js';
import type { ServeSpec } from './serve.js';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
const FETCH = fileURLToPath(new URL('./fetch.ts', import.meta.url));

export interface LabServer {
  readonly proc: LabProcess;
  readonly address: string;
  readonly port: number;
  records(): TransferRecord[];
  /** Waits until at least `count` records were printed (bounded). */
  waitForRecords(count: number, timeoutMs?: number): Promise<TransferRecord[]>;
  /** Open descriptors of the server process. */
  fds(): Promise<number>;
  /** Stops it through its standard input; resolves with its descriptor count at the end. */
  stop(): Promise<number>;
}

export async function startLabServer(host: Host, spec: ServeSpec): Promise<LabServer> {
  const proc = host.run(process.execPath, ['--import', TSX_LOADER, SERVE, JSON.stringify(spec)], {
    stdin: 'pipe',
  });
  const line = await proc.waitForLine(/^listening /, { timeoutMs: 20_000 });
  const [, address = '', port = '0'] = line.split(' ');
  const records = (): TransferRecord[] =>
    proc
      .lines()
      .filter((l) => l.startsWith('record '))
      .map((l) => JSON.parse(l.slice('record '.length)) as TransferRecord);
  return {
    proc,
    address,
    port: Number(port),
    records,
    async waitForRecords(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (records().length < count && Date.now() < deadline) await sleep(50);
      return records();
    },
    async fds() {
      const from = proc.lineCount();
      proc.stdin?.write('fds\n');
      const reply = await proc.waitForLine(/^fds /, { from, timeoutMs: 5_000 });
      return Number(reply.split(' ')[1]);
    },
    async stop() {
      const from = proc.lineCount();
      proc.stdin?.write('stop\n');
      const reply = await proc.waitForLine(/^stopped fds /, { from, timeoutMs: 10_000 });
      await proc.waitForExit(5_000);
      return Number(reply.split(' ')[2]);
    },
  };
}

export interface FetchRun {
  readonly code: number | null;
  readonly results: FetchResultLine[];
  readonly stderr: string;
}

/** Runs the TS client in `host` to completion (bounded by `timeoutMs`). */
export async function runFetch(host: Host, spec: FetchSpec, timeoutMs = 120_000): Promise<FetchRun> {
  const result = await host.exec(process.execPath, ['--import', TSX_LOADER, FETCH, JSON.stringify(spec)], {
    timeoutMs,
  });
  const results = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('result '))
    .map((l) => JSON.parse(l.slice('result '.length)) as FetchResultLine);
  return { code: result.code, results, stderr: result.stderr };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
