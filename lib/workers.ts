/**
 * One role on every core of a server: with `workers` > 1 this process becomes the primary of
 * Node's cluster module and forks that many workers, each running `serve` and sharing the
 * listening port (the primary hands connections round-robin). A worker that dies unasked is
 * replaced, but one that dies before it listens stops them all (a bad configuration would
 * otherwise be forked forever); SIGTERM/SIGINT are passed to every worker, which drain as one process would, and the
 * primary exits once they have.
 */
import cluster, { Worker } from 'node:cluster';
import { log } from './log';

export async function runOnEveryCore(workers: number, role: string, serve: () => Promise<void>): Promise<void> {
  if (workers <= 1 || cluster.isWorker) return serve();
  let stopping = false;
  const listening = new Set<number>();
  const fork = () => cluster.fork();
  cluster.on('listening', (worker: Worker) => listening.add(worker.id));
  for (let i = 0; i < workers; i++) fork();
  log.info(`${role}: serving with ${workers} worker processes`, { workers });
  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (!listening.has(worker.id)) {
      log.error(`${role}: a worker exited before serving; stopping`, { pid: worker.process.pid, ...(signal ? { signal } : { code }) });
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      process.exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
      return;
    }
    listening.delete(worker.id);
    log.error(`${role}: a worker exited; starting another`, { pid: worker.process.pid, ...(signal ? { signal } : { code }) });
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${role}: stopping every worker`, { signal });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
