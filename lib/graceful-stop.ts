/**
 * What a server process does on SIGTERM or SIGINT (once): say so, close gracefully (see
 * http-drain.ts), flush its traces and exit 0; exit 1 if closing fails or outlasts the configured
 * delay and timeout (the orchestrator would kill it then anyway).
 */
import type { ShutdownConfig } from './config';
import { describeError, log } from './log';
import { stopTracing } from './tracing';

export function stopGracefullyOnSignals(close: () => Promise<void>, shutdown: ShutdownConfig, what: string): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping: not ready, ${what}`, { signal });
    setTimeout(() => {
      log.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, shutdown.delayMs + shutdown.timeoutMs + 5000).unref();
    try {
      await close();
      await stopTracing();
      log.info('stopped');
      process.exit(0);
    } catch (error) {
      log.error('shutdown failed', describeError(error));
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
