// Wireshark's reading of a capture, through Debian's tshark (scripts/setup-test.sh installs it): the oracle the
// pcap tests check fleetboot's captures against.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';

const run = promisify(execFile);

/** Checksum validation is off in Wireshark by default; these turn it on, so a wrong one is reported. */
const CHECKSUM_PREFERENCES = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'] as const;

/** Writes `bytes` to a file of its own, removed when the test finishes. */
export function pcapFile(bytes: Uint8Array, name = 'capture.pcap'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-pcap-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function tshark(args: readonly string[]): Promise<string> {
  // tshark warns on stderr when run as root; only its exit status and stdout matter here.
  const { stdout } = await run('tshark', [...CHECKSUM_PREFERENCES, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * One object per frame with the fields asked for (`tshark -T fields -e …`); a field that occurs several times in
 * a frame (an option repeated, a list) comes back comma-joined, a missing one as ''.
 */
export async function tsharkFields(
  file: string,
  fields: readonly string[],
  extra: readonly string[] = [],
  aggregator = ',',
) {
  const out = await tshark([
    '-r',
    file,
    ...extra,
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-E',
    'occurrence=a',
    '-E',
    `aggregator=${aggregator}`,
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(fields.map((f, i) => [f, values[i] ?? '']));
    });
}

export interface ExpertItem {
  readonly frame: number;
  readonly severity: 'warn' | 'error';
  readonly message: string;
}

/**
 * Wireshark's complaints about a capture: its expert items of warning level and above, one per item. Errors are
 * malformed packets, bad checksums and the like; warnings include things a protocol says on purpose (every TFTP
 * ERROR packet is one), so callers say which warnings they expect.
 */
export async function tsharkExpertItems(file: string, extra: readonly string[] = []): Promise<ExpertItem[]> {
  const rows = await tsharkFields(
    file,
    ['frame.number', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed'],
    extra,
    '|', // expert messages have commas of their own
  );
  // Severity values (epan/proto.h PI_WARN, PI_ERROR).
  const WARN = 0x00600000;
  const ERROR = 0x00800000;
  return rows.flatMap((row) => {
    const frame = Number(row['frame.number']);
    const severities = (row['_ws.expert.severity'] ?? '').split('|').filter((s) => s !== '');
    const messages = (row['_ws.expert.message'] ?? '').split('|');
    const items: ExpertItem[] = severities
      .map((s, i) => ({ severity: Number(s), message: messages[i] ?? '' }))
      .filter((e) => e.severity >= WARN)
      .map((e) => ({ frame, severity: e.severity >= ERROR ? 'error' : 'warn', message: e.message }));
    if ((row['_ws.malformed'] ?? '') !== '') items.push({ frame, severity: 'error', message: 'malformed' });
    return items;
  });
}
