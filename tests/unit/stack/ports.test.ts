/**
 * freePort (stack/ports.ts): ports for servers the tests and the benchmark start, drawn where the
 * kernel never hands one out by itself, so no other process's connection can take one first.
 */
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { freePort } from '../../../stack/ports';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('freePort', () => {
  afterEach(() => jest.restoreAllMocks());

  // The draw pinned: both calls start from the same point of this worker's slice.
  it('skips a port something already listens on', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const first = await freePort();
    const blocker = await listen(first + 1);
    try {
      expect(await freePort()).toBe(first + 2);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('hands out distinct ports below the ephemeral range that a server can then bind', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(port >= 10_000 && port < low).toBe(true);
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});
