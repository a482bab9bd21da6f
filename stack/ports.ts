/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a server a test or the benchmark
 * starts a moment later (often in a child process, seconds later, once it has compiled).
 *
 * Ports are drawn below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 by
 * default), never from it: a port the kernel picked for a `listen(0)` is free again once that
 * listener closes, and in the seconds before our server binds it the kernel may give it to any
 * process's outgoing connection or port-0 listener, making the server fail with EADDRINUSE. Below
 * that range a port is only ever taken by someone who asked for it by number. Each Jest worker
 * (or other process) draws from a slice of its own, and never hands the same port out twice.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FIRST_PORT = 10_000;
const SLICES = 8;
const handedOut = new Set<number>();

/** The first port the kernel hands out by itself; below it, ports are ours to choose. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low >= FIRST_PORT + SLICES * 100) return low;
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152, so 32768 is below it too.
  }
  return 32_768;
}

function listensFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** This process's ports: one slice of those below the ephemeral range, found once. */
let slice: { base: number; span: number } | undefined;
function ownSlice(): { base: number; span: number } {
  if (!slice) {
    const span = Math.floor((ephemeralLow() - FIRST_PORT) / SLICES);
    slice = { base: FIRST_PORT + ((Number(process.env.JEST_WORKER_ID) || process.pid) % SLICES) * span, span };
  }
  return slice;
}

export async function freePort(): Promise<number> {
  const { base, span } = ownSlice();
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = base + ((offset + i) % span);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await listensFree(port)) return port;
  }
  throw new Error(`No free TCP port left in ${base}–${base + span - 1}`);
}
