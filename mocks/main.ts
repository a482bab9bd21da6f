/**
 * `npm run start:mocks`: the six mock sources in one process, configured by the environment
 * (see mocks/README.md). Logs where each source listens and the size of the world; never a
 * person's data.
 */
import { ConfigError, devDirectory, loadMocksConfig } from '../lib/config';
import { log } from '../lib/log';
import { logStartFailure, setUpLogsAndTraces } from '../lib/process-logging';
import { SOURCES } from '../lib/sources';
import { devControlKey, devControlKeyFile } from './control-key';
import { MOCKS_CONTROL_HEADER, startMocks } from './index';
import { ListenError } from './sources';
import { generateWorld } from './world';

async function main(): Promise<void> {
  setUpLogsAndTraces('mocks', { tracing: false });
  const config = loadMocksConfig(process.env);
  const started = performance.now();
  const world = generateWorld({ size: config.worldSize, seed: config.worldSeed, adminUnitsFile: config.adminUnitsFile, pre2025UnitsFile: config.pre2025UnitsFile, conversionFile: config.conversionFile, inconsistencyRate: config.inconsistencyRate });
  const elapsed = Math.round(performance.now() - started);
  // The test endpoints' key: MOCKS_CONTROL_KEY, or the development one kept in .dev/.
  const controlKey = config.controlKey ?? devControlKey(devDirectory(process.env));
  const mocks = await startMocks({ ...config, world, controlKey });

  for (const name of SOURCES) log.info('serving', { source: name, url: mocks.urls[name] });
  log.info('world generated', {
    seed: world.seed,
    citizens: world.citizens.size,
    households: world.households.size,
    parcels: world.parcels.size,
    insured: world.insurance.size,
    inconsistencies: world.inconsistencies.length,
    communes: world.catalogue.communes.length,
    catalogue: world.catalogue.origin,
    durationMs: elapsed,
  });
  log.info('test endpoints', {
    paths: '/__truth, /__control, /__stats',
    header: MOCKS_CONTROL_HEADER,
    key: config.controlKey ? 'MOCKS_CONTROL_KEY' : devControlKeyFile(devDirectory(process.env)),
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    mocks.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Configuration and port problems are the operator's to fix: the message says what; anything
  // else is a bug, and its stack helps.
  if (error instanceof ConfigError || error instanceof ListenError) logStartFailure(error);
  else log.fatal('failed to start', { reason: (error as Error)?.message, stack: (error as Error)?.stack });
  process.exit(1);
});
