import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/client/api-client.js';
import { followEvents } from '../../src/cli/client/follow.js';
import { parseServerUrl } from '../../src/cli/client/settings.js';
import { SseParser } from '../../src/cli/client/sse.js';
import { parseMac } from '../../src/values/mac.js';
import { runInProcess } from '../support/cli.js';
import { type CliServer, startCliServer } from '../support/cli-server.js';

// The CLI as a client of the API: where the server and token come from, what a refusal or an unreachable server
// looks like (exit code and message), and that the token is never printed.

let s: CliServer;
/** A token of the right shape that the server does not know. */
const UNKNOWN_TOKEN = `fbt_${'A'.repeat(43)}`;

beforeAll(async () => {
  s = await startCliServer();
  for (let i = 1; i <= 3; i++) {
    const { machine } = await s.server.store.inventory.recordContact({
      mac: parseMac(`52:54:00:00:00:0${i}`),
      hostname: `node0${i}`,
    });
    await s.server.store.inventory.setLabels(machine.id, { rack: 'r1' });
  }
});

afterAll(async () => {
  await s.stop();
});

const run = (argv: string[], env: NodeJS.ProcessEnv) => runInProcess(argv, { cwd: s.dir, env });

/** No output of a run may carry a token. */
function noToken(result: { stdout: string; stderr: string }): void {
  for (const token of [...Object.values(s.tokens), UNKNOWN_TOKEN]) {
    expect(result.stdout + result.stderr).not.toContain(token.slice(4));
  }
}

describe('API errors as exit codes', () => {
  it('a viewer may list but not mark: exit 6 with the API message, and it stops at the first machine', async () => {
    expect((await s.run(['machines', 'list'], 'viewer')).code).toBe(0);
    const denied = await s.run(['machines', 'install', '--label', 'rack=r1'], 'viewer');
    expect(denied.code).toBe(6);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toBe(
      'fleetboot: stopped after 1 of 3 machine(s)\n' +
        'fleetboot: this call needs the operator role; token viewer has viewer: use a token with that role\n',
    );
    noToken(denied);
    // Nothing changed, and the refusal is in the audit log once.
    expect((await s.server.store.inventory.countByState()).queued).toBe(0);
    const audit = await s.server.store.audit.list({ action: 'auth.forbidden' });
    expect(audit.map((a) => a.actor)).toEqual(['viewer']);
  });

  it('an unknown token: exit 6, and the message says to make a new one', async () => {
    const result = await run(['machines', 'list'], { ...s.env(), FLEETBOOT_TOKEN: UNKNOWN_TOKEN });
    expect(result.code).toBe(6);
    expect(result.stderr).toBe(
      'fleetboot: the API token is not valid (unknown or revoked); create a new one with `fleetboot token create`\n',
    );
    noToken(result);
  });

  it('a token of the wrong shape or none at all: refused before any call, never echoed', async () => {
    const malformed = await run(['status'], { ...s.env(), FLEETBOOT_TOKEN: 'fbt_short-and-secret' });
    expect(malformed.code).toBe(3);
    expect(malformed.stderr).toBe(
      'fleetboot: the API token from FLEETBOOT_TOKEN is not a fleetboot API token (fbt_ and 43 characters)\n',
    );
    expect(malformed.stderr).not.toContain('short-and-secret');
    const none = await run(['status'], s.env());
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/^fleetboot: no API token: give --token, set FLEETBOOT_TOKEN, or write/);
  });

  it('an unreachable server: exit 5, naming the URL, where it came from and what to check', async () => {
    const port = await closedPort();
    const result = await run(['machines', 'list'], {
      ...s.env('viewer'),
      FLEETBOOT_URL: `http://127.0.0.1:${port}`,
    });
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(
      `fleetboot: cannot reach the fleetboot API at http://127.0.0.1:${port}/api/v1 (connect ECONNREFUSED ` +
        `127.0.0.1:${port}; the URL is from FLEETBOOT_URL): check that \`fleetboot serve\` runs there and that ` +
        '--server, FLEETBOOT_URL or client.yaml names its http.listen address or http.publicUrl\n',
    );
    noToken(result);
  });

  it('a server that does not answer in time, or is not fleetboot: exit 5', async () => {
    const silent = await httpServer(() => undefined);
    const slow = await run(['status', '--timeout', '1', '--server', silent.url], s.env('viewer'));
    expect(slow.code).toBe(5);
    expect(slow.stderr).toContain('(no answer within 1 s; the URL is from --server)');
    const other = await httpServer((res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    );
    const html = await run(['status', '--server', other.url], s.env('viewer'));
    expect(html.code).toBe(5);
    expect(html.stderr).toBe(
      `fleetboot: ${other.url}/api/v1/status is not the fleetboot API this command expects: it answered 200 with ` +
        'text/html, not JSON (another service on that port, or a fleetboot of another version?)\n',
    );
    await Promise.all([silent.close(), other.close()]);
  });
});

describe('client settings', () => {
  const home = () => path.join(s.dir, 'home');
  const clientFile = () => path.join(home(), '.config', 'fleetboot', 'client.yaml');
  const writeClientFile = (text: string, mode: number) => {
    mkdirSync(path.dirname(clientFile()), { recursive: true });
    writeFileSync(clientFile(), text);
    chmodSync(clientFile(), mode);
  };
  /** No FLEETBOOT_URL or FLEETBOOT_TOKEN: only the file says where and who. */
  const fileOnly = () => ({ USER: 'tester', HOME: home() });

  it('reads server and token from ~/.config/fleetboot/client.yaml when it is private to the user', async () => {
    writeClientFile(`server: ${s.url}\ntoken: ${s.tokens.viewer}\n`, 0o600);
    const result = await run(['status'], fileOnly());
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // Flags and the environment win over the file.
    const flagged = await run(['status', '--server', 'http://127.0.0.1:1'], fileOnly());
    expect(flagged.code).toBe(5);
  });

  it('refuses a client.yaml with a token that others may read, and one with unknown keys', async () => {
    writeClientFile(`server: ${s.url}\ntoken: ${s.tokens.viewer}\n`, 0o644);
    const open = await run(['status'], fileOnly());
    expect(open.code).toBe(3);
    expect(open.stderr).toBe(
      `fleetboot: ${clientFile()} holds an API token but other users may read it (mode 644): chmod 600 ${clientFile()}\n`,
    );
    noToken(open);
    writeClientFile(`sever: ${s.url}\n`, 0o600);
    const typo = await run(['status'], fileOnly());
    expect(typo).toMatchObject({
      code: 3,
      stderr: `fleetboot: ${clientFile()}:1:1: unknown key "sever" (known: server, token)\n`,
    });
  });

  it('takes the server URL with or without /api/v1, and refuses credentials in it', () => {
    expect(parseServerUrl('http://fleetboot:8080', 'x').href).toBe('http://fleetboot:8080/');
    expect(parseServerUrl('https://gw.example/fleetboot/api/v1/', 'x').href).toBe(
      'https://gw.example/fleetboot/',
    );
    expect(() => parseServerUrl('http://admin:secret@fleetboot:8080', '--server')).toThrow(
      '--server: put no credentials in the server URL',
    );
    expect(() => parseServerUrl('ftp://fleetboot', 'x')).toThrow('must be http:// or https://');
    expect(() => parseServerUrl('fleetboot:8080', 'x')).toThrow('must be http:// or https://');
  });

  it('leaves serve and config check alone: FLEETBOOT_URL and FLEETBOOT_TOKEN are not settings', async () => {
    const checked = await run(['config', 'check'], {
      FLEETBOOT_URL: s.url,
      FLEETBOOT_TOKEN: s.tokens.viewer,
    });
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });
});

describe('Server-Sent Events parser', () => {
  it('reads messages split anywhere, with CRLF, CR or LF, comments, ids and retry', () => {
    const text =
      ': hello\r\nretry: 2500\r\n\r\nid: 7\nevent: machine-event\ndata: {"a":\ndata: 1}\n\nid: 8\rdata: x\r\r';
    for (const size of [1, 2, 3, 5, text.length]) {
      const parser = new SseParser();
      const messages = [];
      for (let i = 0; i < text.length; i += size) messages.push(...parser.push(text.slice(i, i + size)));
      expect(messages, `chunks of ${size}`).toEqual([
        { id: '7', event: 'machine-event', data: '{"a":\n1}' },
        { id: '8', event: 'message', data: 'x' },
      ]);
      expect(parser.retryMs).toBe(2500);
    }
  });
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A plain HTTP server on loopback that answers every request with `answer`. */
async function httpServer(
  answer: (res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('following the event stream', () => {
  // A stream as a newer server could send it: an event of a source this client does not know, a malformed one,
  // then one it reads. Reading the first again after a reconnect would fail again, forever.
  const connections: string[] = [];
  const server: Server = createServer((req, res) => {
    connections.push(String(req.headers['last-event-id'] ?? ''));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const good = {
      id: 3,
      at: 1_700_000_000_000,
      machineId: null,
      mac: null,
      source: 'dhcp',
      kind: 'DISCOVER',
      details: {},
    };
    res.write('retry: 0\n\n');
    res.write(`id: 1\ndata: ${JSON.stringify({ ...good, id: 1, source: 'quantum' })}\n\n`);
    res.write('id: 2\ndata: {not json\n\n');
    res.write(`id: 3\ndata: ${JSON.stringify(good)}\n\n`);
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('passes over an event it cannot read, once, and goes on with the next', async () => {
    const { port } = server.address() as AddressInfo;
    const client = new ApiClient({
      server: new URL(`http://127.0.0.1:${port}/`),
      token: 'unused',
      timeoutMs: 5000,
      serverSource: 'the test',
    });
    const stop = new AbortController();
    const skipped: [number, string][] = [];
    const seen: number[] = [];
    for await (const event of followEvents(client, {
      afterId: 0,
      signal: stop.signal,
      maxRetries: 1,
      onSkipped: (id, reason) => skipped.push([id, reason]),
    })) {
      seen.push(event.id);
      stop.abort();
    }
    expect(seen).toEqual([3]);
    expect(skipped.map(([id]) => id)).toEqual([1, 2]);
    expect(skipped[1]?.[1]).toBe('its data is not JSON');
    expect(connections).toEqual(['0']);
  });
});
