// Load generator of the cache bench, run in the clients' namespace: `clients` apt-like clients start at once;
// each fetches `urls` one after another through the proxy (absolute-URI requests, one keep-alive connection
// per client, as apt does), in the same order, as a rack of identical installs would. Prints one JSON line.
// argv[2]: JSON { proxy: "host:port", urls: [{ url, size }], clients }
import { Agent, request } from 'node:http';

interface Args {
  readonly proxy: string;
  readonly urls: readonly { readonly url: string; readonly size: number }[];
  readonly clients: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const [host, port] = [
  args.proxy.slice(0, args.proxy.lastIndexOf(':')),
  Number(args.proxy.slice(args.proxy.lastIndexOf(':') + 1)),
];

function fetchOnce(agent: Agent, url: string): Promise<{ status: number; bytes: number; ttfbMs: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = request({ host, port, path: url, agent, headers: { host: new URL(url).host } }, (res) => {
      let ttfbMs = -1;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (ttfbMs < 0) ttfbMs = performance.now() - start;
        bytes += chunk.length;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, bytes, ttfbMs });
      });
      res.on('error', () => {
        resolve({ status: -1, bytes, ttfbMs });
      });
    });
    req.on('error', () => {
      resolve({ status: -1, bytes: 0, ttfbMs: -1 });
    });
    req.end();
  });
}

async function client(): Promise<{ bytes: number; errors: number; ttfb: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let bytes = 0;
  let errors = 0;
  const ttfb: number[] = [];
  for (const { url, size } of args.urls) {
    const r = await fetchOnce(agent, url);
    bytes += r.bytes;
    if (r.status !== 200 || r.bytes !== size) errors += 1;
    ttfb.push(r.ttfbMs);
  }
  agent.destroy();
  return { bytes, errors, ttfb };
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};

const start = performance.now();
const results = await Promise.all(Array.from({ length: args.clients }, () => client()));
const wallMs = performance.now() - start;
const bytes = results.reduce((s, r) => s + r.bytes, 0);
const firstTtfb = results.map((r) => r.ttfb[0] ?? NaN);
const allTtfb = results.flatMap((r) => r.ttfb);
process.stdout.write(
  `${JSON.stringify({
    wallMs: Math.round(wallMs),
    bytes,
    requests: args.clients * args.urls.length,
    errors: results.reduce((s, r) => s + r.errors, 0),
    throughputMiBs: Number((bytes / 1048576 / (wallMs / 1000)).toFixed(1)),
    ttfbMedianMs: Number(quantile(allTtfb, 0.5).toFixed(2)),
    ttfbP95Ms: Number(quantile(allTtfb, 0.95).toFixed(2)),
    firstFileTtfbMedianMs: Number(quantile(firstTtfb, 0.5).toFixed(2)),
    firstFileTtfbMaxMs: Number(quantile(firstTtfb, 1).toFixed(2)),
  })}\n`,
);
