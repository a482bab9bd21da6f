/** Who may read `GET /metrics` (gateway and subgraphs); lib/metrics-access.ts applies it. */
import { z } from 'zod';
import { Env, isProduction, port, read } from './env';

export interface MetricsConfig {
  /** Bearer token `/metrics` requires; unset: none (see `production`). */
  token: string | undefined;
  /** A port of its own for `/metrics` (then not on the service's port); unset: the service's port. */
  port: number | undefined;
  /** In production, with neither token nor port, `/metrics` is off. */
  production: boolean;
}

export function loadMetricsConfig(env: Env = process.env): MetricsConfig {
  const v = read(
    { METRICS_TOKEN: z.string().min(32, 'use at least 32 characters (a random secret)').optional(), METRICS_PORT: port.min(1).optional() },
    env,
  );
  return { token: v.METRICS_TOKEN, port: v.METRICS_PORT, production: isProduction(env) };
}
