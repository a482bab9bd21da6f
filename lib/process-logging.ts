/**
 * What every process's main does about logs and traces: JSON logs from its first line (at `info`
 * until LOG_LEVEL has been read), tracing as configured, and a start-up failure logged as one
 * line before the process exits.
 */
import { ConfigError, Env, loadObservabilityConfig } from './config';
import { configureLogging, log } from './log';
import { startTracing } from './tracing';

export function setUpLogsAndTraces(service: string, options: { tracing: boolean }, env: Env = process.env): void {
  configureLogging({ service, level: 'info' });
  const config = loadObservabilityConfig(env);
  configureLogging({ service, level: config.logLevel });
  if (options.tracing) startTracing({ serviceName: service, otlpEndpoint: config.otlpEndpoint });
}

/** Logs why the process could not start: the configuration's problems, or the error's message. */
export function logStartFailure(error: unknown): void {
  if (error instanceof ConfigError) log.fatal('invalid configuration', { problems: error.problems });
  else log.fatal('failed to start', { reason: error instanceof Error ? error.message : String(error) });
}
