// The package-cache bench (issue 7, "Performance"): fleetboot's cache beside apt-cacher-ng in one run, peers
// interleaved per repeat. In network namespaces of the lab (src/lab): a mirror (198.18.0.2) serving a signed
// repository of PACKAGES packages built with dpkg-deb, the cache under test (198.18.0.1:3142), and CLIENTS
// apt-like clients (198.18.0.3) fetching the whole set through it as their HTTP proxy:
//   cold  the cache starts empty: every client fetches InRelease, Packages.xz and every package (upstream bytes
//         of the packages, wall time, throughput)
//   warm  the same again, everything cached
//   ttfb  a cold 8 MiB file the mirror sends at 5 MiB/s, asked by every client at once: time to first byte
// Writes bench/results/raw/RUNID.jsonl and bench/results/RUNID.md. Run as root: `npm run bench -- cache`.
// argv: [--repeats N] [--clients N] [--packages N]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, type Host, type LabProcess } from '../../src/lab/index.js';
import { buildRepository } from '../../test/cache/fixtures/build-repository.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');
const MIRROR = path.join(REPO, 'test/cache/fixtures/upstream-mirror.ts');
const LOAD = path.join(REPO, 'bench/cache/load.ts');
const CLI = path.join(REPO, 'src/cli/main.ts');
const SERVER = '198.18.0.1';
const UPSTREAM = '198.18.0.2';
const PORT = 3142;

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const repeats = option('repeats', 3);
const clientsPerRun = option('clients', 50);
const packageCount = option('packages', 200);

const runId = `cache-${hostname()}-${new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z')}`;
const rawDir = path.join(REPO, 'bench/results/raw');
mkdirSync(rawDir, { recursive: true });
const rawFile = path.join(rawDir, `${runId}.jsonl`);
const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-bench-'));

interface Peer {
  readonly name: string;
  start(server: Host, state: string): LabProcess;
}

const fleetboot: Peer = {
  name: 'fleetboot',
  start(server, state) {
    const config = path.join(state, 'fleetboot.yaml');
    writeFileSync(
      config,
      [
        `dataDir: ${path.join(state, 'data')}`,
        `http: {listen: "${SERVER}:0"}`,
        'tftp: {enabled: false}',
        'log: {level: warn}',
        `cache: {enabled: true, listen: "${SERVER}:${PORT}", allow: [198.18.0.0/24],`,
        `        repositories: [{name: debian, upstream: "http://${UPSTREAM}/debian"}]}`,
        '',
      ].join('\n'),
    );
    return server.run(process.execPath, ['--import', TSX, CLI, 'serve', '-c', config]);
  },
};

const aptCacherNg: Peer = {
  name: 'apt-cacher-ng',
  start(server, state) {
    for (const d of ['cache', 'log']) mkdirSync(path.join(state, d), { recursive: true });
    return server.run('apt-cacher-ng', [
      '-c',
      '/etc/apt-cacher-ng',
      'ForeGround=1',
      `Port=${PORT}`,
      `BindAddress=${SERVER}`,
      `CacheDir=${path.join(state, 'cache')}`,
      `LogDir=${path.join(state, 'log')}`,
      `PidFile=${path.join(state, 'pid')}`,
      `SocketPath=${path.join(state, 'socket')}`,
    ]);
  },
};

async function waitForPort(clients: Host): Promise<void> {
  for (let i = 0; i < 150; i += 1) {
    const r = await clients.exec('bash', ['-c', `exec 3<>/dev/tcp/${SERVER}/${PORT}`], { timeoutMs: 2000 });
    if (r.code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${SERVER}:${PORT} after 15 s`);
}

// The machine is shared: the 1-minute load average every 10 s goes into the summary beside the figures.
const loads: number[] = [loadavg()[0] ?? NaN];
const loadSampler = setInterval(() => loads.push(loadavg()[0] ?? NaN), 10_000);
loadSampler.unref();

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const packages = Array.from({ length: packageCount }, (_, i) => ({
    name: `fbbench-p${String(i).padStart(3, '0')}`,
    size: 4096 + ((i * 37) % 100) * 400,
  }));
  const repo = buildRepository(dir, [...packages, { name: 'fbbench-ttfb', size: 8 * 1024 * 1024 }]);
  const sizeOf = (file: string) => statSync(path.join(repo.root, 'debian', file)).size;
  const set = packages.map((p) => {
    const file = repo.debs.get(p.name)?.file ?? '?';
    return { file, url: `http://${UPSTREAM}/debian/${file}`, size: sizeOf(file) };
  });
  // Each client starts as `apt-get update` does: the signed Release and the Packages index, through the cache,
  // which is also how fleetboot learns the checksums it keeps packages by.
  const indexes = [`dists/${repo.suite}/InRelease`, `dists/${repo.suite}/main/binary-amd64/Packages.xz`].map(
    (file) => ({
      file,
      url: `http://${UPSTREAM}/debian/${file}`,
      size: sizeOf(file),
    }),
  );
  const ttfbFile = repo.debs.get('fbbench-ttfb')?.file ?? '?';
  const ttfbSet = [{ file: ttfbFile, url: `http://${UPSTREAM}/debian/${ttfbFile}`, size: sizeOf(ttfbFile) }];
  const setBytes = set.reduce((s, f) => s + f.size, 0);
  writeFileSync(path.join(repo.root, 'behaviour.json'), JSON.stringify({ slow: { [ttfbFile]: 256 * 1024 } }));

  const lab = await Lab.create({ name: 'cachebench' });
  try {
    const sw = await lab.addSwitch();
    const server = await lab.addHost('server', { switch: sw, address: `${SERVER}/24` });
    const mirrorHost = await lab.addHost('mirror', { switch: sw, address: `${UPSTREAM}/24` });
    const clients = await lab.addHost('clients', { switch: sw, address: '198.18.0.3/24' });
    const mirror = mirrorHost.run(process.execPath, [
      '--import',
      TSX,
      MIRROR,
      JSON.stringify({ root: repo.root, host: UPSTREAM, port: 80 }),
    ]);
    await mirror.waitForLine('LISTENING', { timeoutMs: 20_000 });
    const upstreamBytes = (from: number): { requests: number; bytes: number } => {
      const lines = mirror
        .lines()
        .slice(from)
        .filter((l) => l.startsWith('GET /debian/pool/'));
      return {
        requests: lines.length,
        bytes: lines.reduce((s, l) => s + sizeOf(l.slice('GET /debian/'.length)), 0),
      };
    };
    const load = async (urls: typeof set): Promise<Record<string, number>> => {
      const r = await clients.exec(
        process.execPath,
        ['--import', TSX, LOAD, JSON.stringify({ proxy: `${SERVER}:${PORT}`, urls, clients: clientsPerRun })],
        { timeoutMs: 600_000 },
      );
      if (r.code !== 0) throw new Error(`load generator failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
    };

    for (let repeat = 1; repeat <= repeats; repeat += 1) {
      // Alternate which peer goes first, so neither always meets a warmer page cache.
      const order = repeat % 2 === 1 ? [fleetboot, aptCacherNg] : [aptCacherNg, fleetboot];
      for (const peer of order) {
        const state = path.join(dir, `${peer.name}-${repeat}`);
        mkdirSync(state, { recursive: true });
        const proc = peer.start(server, state);
        try {
          await waitForPort(clients);
          for (const phase of ['cold', 'warm', 'ttfb'] as const) {
            const from = mirror.lineCount();
            const result = await load(phase === 'ttfb' ? ttfbSet : [...indexes, ...set]);
            const upstream = upstreamBytes(from);
            const line = {
              bench: 'cache',
              peer: peer.name,
              repeat,
              phase,
              clients: clientsPerRun,
              files: phase === 'ttfb' ? 1 : set.length,
              setBytes: phase === 'ttfb' ? ttfbSet[0]?.size : setBytes,
              upstreamRequests: upstream.requests,
              upstreamBytes: upstream.bytes,
              ...result,
            };
            writeFileSync(rawFile, `${JSON.stringify(line)}\n`, { flag: 'a' });
            process.stderr.write(`${JSON.stringify(line)}\n`);
          }
        } finally {
          await proc.stop(10_000);
          rmSync(state, { recursive: true, force: true });
        }
      }
    }
    await mirror.stop(5000);
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  writeSummary(started);
}

function writeSummary(started: string): void {
  clearInterval(loadSampler);
  loads.push(loadavg()[0] ?? NaN);
  const lines = readFileSync(rawFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);
  const median = (values: number[]): number => {
    const s = [...values].sort((a, b) => a - b);
    return s.length % 2
      ? (s[(s.length - 1) / 2] ?? NaN)
      : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  };
  const span = (values: number[]): string =>
    `${median(values)} (${Math.min(...values)}–${Math.max(...values)})`;
  const rows: string[] = [];
  for (const phase of ['cold', 'warm', 'ttfb']) {
    for (const peer of ['fleetboot', 'apt-cacher-ng']) {
      const runs = lines.filter((l) => l.phase === phase && l.peer === peer);
      if (runs.length === 0) continue;
      const col = (key: string) => span(runs.map((r) => Number(r[key])));
      const upstreamCopies = span(
        runs.map((r) => Number((Number(r.upstreamBytes) / Number(r.setBytes)).toFixed(2))),
      );
      rows.push(
        `| ${phase} | ${peer} | ${runs.length} | ${upstreamCopies} | ${col('wallMs')} | ${col('throughputMiBs')} | ${col('ttfbMedianMs')} | ${col('firstFileTtfbMedianMs')} | ${col('errors')} |`,
      );
    }
  }
  const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).toString().trim();
  const md = [
    `# ${runId}`,
    '',
    `- command: \`${['npm run bench -- cache', ...argv].join(' ')}\` (bench/cache/cache-bench.ts), started ${started}`,
    `- fleetboot at ${commit} (run from source with tsx); apt-cacher-ng ${aptCacherNgVersion()}`,
    `- ${clientsPerRun} clients × ${packageCount} packages (${((lines.find((l) => l.phase === 'cold')?.setBytes as number) / 1048576) | 0} MiB set), repeats ${repeats}, peers alternated per repeat; machine: ${hostname()}, 2 cores, shared with other sessions`,
    `- 1-minute load average sampled every 10 s during the run: ${Math.min(...loads)}–${Math.max(...loads)} (${loads.length} samples; first ${loads[0]}, last ${loads.at(-1)})`,
    `- raw results: bench/results/raw/${runId}.jsonl (not committed)`,
    '',
    'Median (min–max) over repeats. "Upstream copies" = bytes the mirror sent for the phase ÷ the size of the set.',
    '',
    '| phase | peer | runs | upstream copies | wall ms | throughput MiB/s | TTFB median ms | first-file TTFB median ms | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(path.join(REPO, 'bench/results', `${runId}.md`), md);
  process.stderr.write(`${md}\nbench: summary in bench/results/${runId}.md\n`);
}

function aptCacherNgVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'apt-cacher-ng']).toString();
  } catch {
    return '(version unknown)';
  }
}

await main();
