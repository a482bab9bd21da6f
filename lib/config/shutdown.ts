/** Graceful shutdown on SIGTERM, gateway and subgraphs alike. */
import { Env, nonNegativeInt, positiveInt, read } from './env';

export interface ShutdownConfig {
  /** After SIGTERM, keep serving (with /ready at 503) this long so load balancers stop sending. */
  delayMs: number;
  /** Longest wait for requests in flight before the remaining connections are cut. */
  timeoutMs: number;
}

export function loadShutdownConfig(env: Env = process.env): ShutdownConfig {
  const v = read(
    { SHUTDOWN_DELAY_MS: nonNegativeInt.max(300_000).default(0), SHUTDOWN_TIMEOUT_MS: positiveInt.max(600_000).default(25_000) },
    env,
  );
  return { delayMs: v.SHUTDOWN_DELAY_MS, timeoutMs: v.SHUTDOWN_TIMEOUT_MS };
}
