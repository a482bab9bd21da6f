/** How subgraphs reach their sources: connection (URL, key) and resilience settings per source. */
import { z } from 'zod';
import { SourceName, defaultSourcePort, envPrefix } from '../sources';
import { Env, httpUrl, nonNegativeInt, positiveInt, read } from './env';

export interface SourceConnection {
  url: string;
  apiKey: string;
}

export function loadSourceConnection(name: SourceName, env: Env = process.env): SourceConnection {
  const prefix = envPrefix(name);
  const values = read(
    {
      [`${prefix}_SOURCE_URL`]: httpUrl.default(`http://127.0.0.1:${defaultSourcePort(name)}`),
      [`${prefix}_SOURCE_KEY`]: z.string().min(8, 'an API key has at least 8 characters').default(`dev-${name}-key`),
    },
    env,
  ) as Record<string, string>;
  return { url: values[`${prefix}_SOURCE_URL`].replace(/\/$/, ''), apiKey: values[`${prefix}_SOURCE_KEY`] };
}

/** How a subgraph calls one source: what it does when the source is slow, failing or busy. */
export interface SourceResilience {
  /** Deadline for one source call: waiting for a slot, every attempt and the pauses between them. */
  timeoutMs: number;
  /** Further attempts after a transient failure (unreachable, HTTP 5xx or 429); sources are only read. */
  retries: number;
  /** Pause before the first retry; later pauses grow exponentially, with random jitter. */
  retryBackoffMs: number;
  /** Share of failed calls (0–1, exclusive) within `breakerWindowMs` that opens the circuit. */
  breakerFailureRate: number;
  /** Calls needed within the window before the circuit may open. */
  breakerMinCalls: number;
  breakerWindowMs: number;
  /** How long an open circuit refuses calls before one probe call is let through. */
  breakerCooldownMs: number;
  /** Calls in flight to the source from one process (and connections kept to it). */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; beyond that a call fails at once. */
  maxQueued: number;
}

/**
 * Each setting's variable, rule and default. `SOURCE_<NAME>` sets it for every source,
 * `<SOURCE>_SOURCE_<NAME>` (e.g. `LAND_SOURCE_RETRIES`) for one.
 */
const RESILIENCE_SETTINGS: { [K in keyof SourceResilience]: [name: string, rule: z.ZodType<number>, fallback: number] } = {
  timeoutMs: ['TIMEOUT_MS', positiveInt.max(600_000), 5000],
  retries: ['RETRIES', nonNegativeInt.max(10), 2],
  retryBackoffMs: ['RETRY_BACKOFF_MS', nonNegativeInt.max(60_000), 100],
  breakerFailureRate: ['BREAKER_FAILURE_RATE', z.coerce.number().gt(0).lt(1), 0.5],
  breakerMinCalls: ['BREAKER_MIN_CALLS', positiveInt, 10],
  breakerWindowMs: ['BREAKER_WINDOW_MS', positiveInt.min(1000).max(3_600_000), 10_000],
  breakerCooldownMs: ['BREAKER_COOLDOWN_MS', positiveInt.max(3_600_000), 10_000],
  maxConcurrent: ['CONCURRENCY', positiveInt.max(256), 16],
  maxQueued: ['QUEUE_MAX', nonNegativeInt.max(100_000), 1000],
};

/** The defaults above, for clients built without configuration. */
export const DEFAULT_SOURCE_RESILIENCE = Object.fromEntries(
  Object.entries(RESILIENCE_SETTINGS).map(([key, [, , fallback]]) => [key, fallback]),
) as unknown as SourceResilience;

export function loadSourceResilience(source: SourceName, env: Env = process.env): SourceResilience {
  const settings = {} as SourceResilience;
  for (const [key, [name, rule, fallback]] of Object.entries(RESILIENCE_SETTINGS) as [keyof SourceResilience, [string, z.ZodType<number>, number]][]) {
    const shared = read({ [`SOURCE_${name}`]: rule.default(fallback) }, env)[`SOURCE_${name}`] as number;
    const own = `${envPrefix(source)}_SOURCE_${name}`;
    settings[key] = read({ [own]: rule.default(shared) }, env)[own] as number;
  }
  return settings;
}
