/**
 * `npm run start:mocks`: the six mock sources in one process, configured by the environment
 * (see mocks/README.md). Logs where each source listens and the size of the world; never a
 * person's data.
 */
import { ConfigError, loadMocksConfig } from '../lib/config';
import { SOURCES } from '../lib/sources';
import { startMocks } from './index';
import { ListenError } from './sources';
import { generateWorld } from './world';

async function main(): Promise<void> {
  const config = loadMocksConfig(process.env);
  const started = performance.now();
  const world = generateWorld({ size: config.worldSize, seed: config.worldSeed, adminUnitsFile: config.adminUnitsFile, inconsistencyRate: config.inconsistencyRate });
  const elapsed = Math.round(performance.now() - started);
  const mocks = await startMocks({ ...config, world });

  for (const name of SOURCES) console.log(`mocks: ${name.padEnd(16)} ${mocks.urls[name]}`);
  console.log(
    `mocks: world "${world.seed}": ${world.citizens.size} citizens, ${world.households.size} households, ` +
      `${world.parcels.size} parcels, ${world.insurance.size} insured, ${world.inconsistencies.length} seeded inconsistencies, ` +
      `${world.catalogue.communes.length} communes (${world.catalogue.origin} catalogue), generated in ${elapsed} ms`,
  );

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
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof ListenError) console.error(`mocks: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
