/**
 * What one hop between two processes costs on this machine, measured beside the critical path.
 * A dossier asked alone crosses a score of hops between processes (client, gateway, subgraphs,
 * Redis, the sources), each to a process that sat idle since its last one. On the project's virtual
 * machine a message to a process that waited costs several times one to a process that is running,
 * and that cost moves with the host's other tenants: so each critical-path run also times a
 * loopback round trip to an idle echo process after each dossier, and back to back at the end.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { connect, Socket } from 'node:net';

/** An echo server in a process of its own, as small as a process can be. */
const ECHO_SOURCE = `const s=require('node:net').createServer(c=>{c.setNoDelay(true);c.on('data',d=>c.write(d))});s.listen(0,'127.0.0.1',()=>process.stdout.write(String(s.address().port)+'\\n'))`;

/** How long the echo process sits idle before each idle round trip: shorter than a dossier's gaps. */
export const IDLE_BEFORE_PROBE_MS = 5;

/** About a subgraph call's size. */
const PAYLOAD = Buffer.alloc(1024, 'x');

export interface RoundTripProbe {
  /** One round trip of a kilobyte to the echo process, in µs. */
  once(): Promise<number>;
  close(): void;
}

export async function startRoundTripProbe(): Promise<RoundTripProbe> {
  const child: ChildProcess = spawn(process.execPath, ['-e', ECHO_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const settle = (error: Error | null) => {
      clearTimeout(timer);
      child.off('error', settle).off('exit', exited);
      child.stdout!.off('data', read);
      if (!error) return resolve(Number(out.trim()));
      child.kill();
      reject(error);
    };
    const exited = (code: number | null) => settle(new Error(`the echo process exited (${code}) before listening`));
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) settle(null);
    };
    const timer = setTimeout(() => settle(new Error('the echo process did not listen within 10 s')), 10_000);
    child.on('error', settle).on('exit', exited);
    child.stdout!.on('data', read);
  });
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return {
    once: () =>
      new Promise<number>((resolve, reject) => {
        if (socket.destroyed) return reject(new Error('the round-trip probe is closed'));
        const started = performance.now();
        let received = 0;
        const onData = (chunk: Buffer) => {
          received += chunk.length;
          if (received < PAYLOAD.length) return;
          socket.off('data', onData).off('error', reject);
          resolve((performance.now() - started) * 1000);
        };
        socket.on('data', onData).once('error', reject);
        socket.write(PAYLOAD);
      }),
    close() {
      socket.destroy();
      child.kill();
    },
  };
}

/** `count` round trips in µs, one straight after another (the echo process never idles). */
export async function backToBack(probe: RoundTripProbe, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await probe.once());
  return times;
}
