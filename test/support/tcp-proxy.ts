import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback to the HTTP server at `target`, between a client under test and a real server: the test
 * can cut every connection (a flaky network) and read what the client sent (to know a request has gone out).
 */
export interface TcpProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Everything clients sent through the proxy so far. */
  sent(): string;
  /** Cuts every open connection, both ways. */
  drop(): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let sent = '';
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.on('data', (chunk: Buffer) => (sent += chunk.toString('latin1')));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const drop = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    sent: () => sent,
    drop,
    close: () =>
      new Promise((resolve) => {
        drop();
        server.close(() => {
          resolve();
        });
      }),
  };
}
