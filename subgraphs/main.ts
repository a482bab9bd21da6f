/**
 * Starts subgraphs as HTTP services: `tsx subgraphs/main.ts [name …]` (default: all six).
 * Each reads its port and source connections from the environment (lib/config.ts); in
 * production each runs as its own deployment with one name.
 */
import { ConfigError, devDirectory, loadSubgraphConfig } from '../lib/config';
import { ensureDevKeys } from '../lib/keys';
import { SUBGRAPHS, SubgraphName } from '../lib/sources';
import type { RunningService } from './common/server';
import { startSubgraph } from './common/server';
import { SUBGRAPH_FACTORIES } from './registry';

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(SUBGRAPHS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError([`unknown subgraph ${unknown.join(', ')}; expected some of ${SUBGRAPHS.join(', ')}`]);
  }
  const names = (requested.length > 0 ? requested : [...SUBGRAPHS]) as SubgraphName[];
  const configs = names.map((name) => loadSubgraphConfig(name, process.env));
  if (process.env.NODE_ENV !== 'production') await ensureDevKeys(devDirectory(process.env));
  const running: RunningService[] = [];
  for (const config of configs) {
    const service = await startSubgraph(SUBGRAPH_FACTORIES[config.name](config), {
      host: config.host,
      port: config.port,
      forwardingPublicKeyFile: config.forwardingPublicKeyFile,
    });
    running.push(service);
    console.log(`subgraph ${config.name}: serving ${service.url}`);
  }
  const stop = async () => {
    await Promise.all(running.map((service) => service.close()));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `subgraphs: failed to start: ${(error as Error).message}`);
  process.exit(1);
});
