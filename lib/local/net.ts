/**
 * Free ports on 127.0.0.1 for the local components (OpenSearch, the Kinesis emulator, Fluent Bit; rsyslogd in the
 * tests). A port is free when it is picked, not when it is used: a process that cannot bind it fails its start, and
 * the components that can retry (opensearch.ts) do.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

export type PortKind = 'tcp' | 'udp';

/** Binds a port the OS picks; `close` releases it. */
function hold(kind: PortKind): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    if (kind === 'tcp') {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) }));
    } else {
      const sock = dgram.createSocket('udp4');
      sock.unref();
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => resolve({ port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) }));
    }
  });
}

/** `n` distinct ports that were free a moment ago: all are held open until all are known, so none is picked twice. */
export async function freePorts(n: number, kind: PortKind = 'tcp'): Promise<number[]> {
  const held: Array<{ port: number; close(): Promise<void> }> = [];
  try {
    for (let i = 0; i < n; i++) held.push(await hold(kind));
    return held.map((h) => h.port);
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
}

/** A port (TCP or UDP) that was free a moment ago. */
export async function freePort(kind: PortKind = 'tcp'): Promise<number> {
  return (await freePorts(1, kind))[0];
}
