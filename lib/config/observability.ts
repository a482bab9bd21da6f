/** Logs and traces, for every process. */
import { z } from 'zod';
import { Env, httpUrl, read } from './env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ObservabilityConfig {
  logLevel: (typeof LOG_LEVELS)[number];
  /** OTLP/HTTP collector spans are exported to; unset: spans are not recorded. */
  otlpEndpoint: string | undefined;
}

export function loadObservabilityConfig(env: Env = process.env): ObservabilityConfig {
  const v = read({ LOG_LEVEL: z.enum(LOG_LEVELS).default('info'), OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional() }, env);
  return { logLevel: v.LOG_LEVEL, otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT };
}
