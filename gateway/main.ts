/** `npm run start:gateway`: the gateway alone, against SUPERGRAPH_PATH and its subgraph URLs. */
import { GatewayConfig, ShutdownConfig, loadGatewayConfig, loadShutdownConfig, loadWorkersConfig } from '../lib/config';
import { ed25519 } from '../lib/ed25519';
import { ensureDevKeys } from '../lib/keys';
import { stopGracefullyOnSignals } from '../lib/graceful-stop';
import { log } from '../lib/log';
import { describeMetricsExposure } from '../lib/metrics-access';
import { logStartFailure, setUpLogsAndTraces } from '../lib/process-logging';
import { runOnEveryCore } from '../lib/workers';
import { startGateway } from './server';

async function main(): Promise<void> {
  setUpLogsAndTraces('gateway', { tracing: true });
  const config = loadGatewayConfig(process.env);
  const shutdown = loadShutdownConfig(process.env);
  const { workers } = loadWorkersConfig(process.env, 'gateway');
  // Development trusts the local issuer in .dev/; production never makes or reads those keys.
  // Made before any worker starts, so the workers do not race to create them.
  if (!config.production) await ensureDevKeys(config.devDir);
  await runOnEveryCore(workers, 'gateway', () => serve(config, shutdown));
}

async function serve(config: GatewayConfig, shutdown: ShutdownConfig): Promise<void> {
  const gateway = await startGateway(config);
  log.info('serving', { url: gateway.url, health: '/health', readiness: '/ready', ed25519: ed25519.name, ...describeMetricsExposure(config.metrics, gateway.metricsUrl) });
  stopGracefullyOnSignals(() => gateway.close(shutdown), shutdown, 'finishing requests in flight and flushing the audit log');
}

main().catch((error: unknown) => {
  logStartFailure(error);
  process.exit(1);
});
