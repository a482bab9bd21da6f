/** Mock sources: ports, keys, the generated world and injected latency. */
import { z } from 'zod';
import { SOURCES, SourceName, defaultSourcePort, envPrefix } from '../sources';
import { Env, nonNegativeInt, port, positiveInt, rate, read } from './env';
import { loadSourceConnection } from './sources';

export interface MocksConfig {
  host: string;
  ports: Record<SourceName, number>;
  apiKeys: Record<SourceName, string>;
  worldSize: number;
  worldSeed: string;
  adminUnitsFile: string | undefined;
  /** The catalogue before 1 July 2025 (ADMIN_UNITS_PRE_2025_FILE). */
  pre2025UnitsFile: string | undefined;
  /** The old-to-new conversion table (ADMIN_UNITS_CONVERSION_FILE); unset with no ADMIN_UNITS_FILE: a synthetic one. */
  conversionFile: string | undefined;
  inconsistencyRate: number;
  latencyMs: number;
  jitterMs: number;
  /** The key `/__truth`, `/__control` and `/__stats` require (header `x-mocks-control-key`); unset: mocks/main.ts uses `.dev/mocks-control-key`. */
  controlKey: string | undefined;
}

export function loadMocksConfig(env: Env = process.env): MocksConfig {
  const v = read(
    {
      MOCKS_HOST: z.string().default('127.0.0.1'),
      WORLD_SIZE: positiveInt.max(2_000_000).default(100_000),
      WORLD_SEED: z.string().default('vn-2026'),
      ADMIN_UNITS_FILE: z.string().optional(),
      ADMIN_UNITS_PRE_2025_FILE: z.string().optional(),
      ADMIN_UNITS_CONVERSION_FILE: z.string().optional(),
      INCONSISTENCY_RATE: rate.default(0.02),
      MOCK_LATENCY_MS: nonNegativeInt.default(0),
      MOCK_JITTER_MS: nonNegativeInt.default(0),
      MOCKS_CONTROL_KEY: z.string().min(16, 'use at least 16 characters (a random secret)').optional(),
    },
    env,
  );
  const ports = {} as Record<SourceName, number>;
  const apiKeys = {} as Record<SourceName, string>;
  for (const name of SOURCES) {
    const prefix = envPrefix(name);
    ports[name] = read({ [`${prefix}_MOCK_PORT`]: port.default(defaultSourcePort(name)) }, env)[`${prefix}_MOCK_PORT`] as number;
    apiKeys[name] = loadSourceConnection(name, env).apiKey;
  }
  return {
    host: v.MOCKS_HOST,
    ports,
    apiKeys,
    worldSize: v.WORLD_SIZE,
    worldSeed: v.WORLD_SEED,
    adminUnitsFile: v.ADMIN_UNITS_FILE,
    pre2025UnitsFile: v.ADMIN_UNITS_PRE_2025_FILE,
    conversionFile: v.ADMIN_UNITS_CONVERSION_FILE,
    inconsistencyRate: v.INCONSISTENCY_RATE,
    latencyMs: v.MOCK_LATENCY_MS,
    jitterMs: v.MOCK_JITTER_MS,
    controlKey: v.MOCKS_CONTROL_KEY,
  };
}
