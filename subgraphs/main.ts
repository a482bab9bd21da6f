/**
 * Starts subgraphs as HTTP services: `tsx subgraphs/main.ts [name …]` (default: all of them).
 * Each reads its port and source connections from the environment (lib/config.ts). In
 * production each runs as its own deployment with one name, or all in one (the compact shape,
 * deploy/kubernetes/overlays/province-compact), ready together.
 */
import { ConfigError, ShutdownConfig, SubgraphConfig, devDirectory, loadMetricsConfig, loadShutdownConfig, loadSubgraphConfig, loadWorkersConfig } from '../lib/config';
import { serveMetrics } from '../lib/metrics';
import { describeMetricsExposure, startMetricsServer } from '../lib/metrics-access';
import { subgraphMetrics } from './common/metrics';
import { ed25519 } from '../lib/ed25519';
import { ensureDevKeys } from '../lib/keys';
import { stopGracefullyOnSignals } from '../lib/graceful-stop';
import { log } from '../lib/log';
import { logStartFailure, setUpLogsAndTraces } from '../lib/process-logging';
import { runOnEveryCore } from '../lib/workers';
import { SUBGRAPHS, SubgraphName } from '../lib/sources';
import type { RunningService } from './common/server';
import { startSubgraph, subgraphServerOptions } from './common/server';
import { warmUpTogether } from './common/warm-up-together';
import { SUBGRAPH_FACTORIES } from './registry';

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  // One subgraph per process in production: its name is the service; `npm start` runs them all.
  setUpLogsAndTraces(requested.length === 1 ? `subgraph-${requested[0]}` : 'subgraphs', { tracing: true });
  const unknown = requested.filter((name) => !(SUBGRAPHS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError([`unknown subgraph ${unknown.join(', ')}; expected some of ${SUBGRAPHS.join(', ')}`]);
  }
  const names = (requested.length > 0 ? requested : [...SUBGRAPHS]) as SubgraphName[];
  const configs = names.map((name) => loadSubgraphConfig(name, process.env));
  const shutdown = loadShutdownConfig(process.env);
  const { workers } = loadWorkersConfig(process.env, 'subgraphs');
  if (process.env.NODE_ENV !== 'production') await ensureDevKeys(devDirectory(process.env));
  await runOnEveryCore(workers, 'subgraphs', () => serve(configs, shutdown));
}

async function serve(configs: SubgraphConfig[], shutdown: ShutdownConfig): Promise<void> {
  const running: RunningService[] = [];
  // One process, one readiness: every port says ready once every subgraph here has warmed up.
  const together = warmUpTogether();
  for (const config of configs) {
    const service = await startSubgraph(together.wrap(SUBGRAPH_FACTORIES[config.name](config)), subgraphServerOptions(config));
    running.push(service);
    log.info('serving', { subgraph: config.name, url: service.url, ed25519: ed25519.name });
  }
  together.allStarted();
  // One registry per process, so one /metrics port per process (METRICS_PORT), whatever it runs.
  const access = configs[0].metrics ?? loadMetricsConfig(process.env);
  const metricsServer =
    access.port !== undefined ? await startMetricsServer(access, configs[0].host, (res) => serveMetrics(subgraphMetrics().registry, res)) : undefined;
  log.info('metrics', describeMetricsExposure(access, metricsServer?.url));
  stopGracefullyOnSignals(
    async () => void (await Promise.all([...running.map((service) => service.close(shutdown)), metricsServer?.close()])),
    shutdown,
    'finishing requests in flight',
  );
}

main().catch((error: unknown) => {
  logStartFailure(error);
  process.exit(1);
});
