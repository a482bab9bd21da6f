/**
 * The mock world `npm start` serves by default (scripts/start.ts): the default size, seed and
 * inconsistency rate over the official catalogue beside the repository. The playground's examples
 * name citizens of this world, so the tests that run them use it too.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadMocksConfig } from '../../lib/config';
import type { StartMocksOptions } from '../../mocks';
import { REPO_ROOT } from '../../stack/stack';

export const OFFICIAL_CATALOGUE = resolve(REPO_ROOT, '../shared/data/vn-admin-units.json');
export const PRE_2025_CATALOGUE = resolve(REPO_ROOT, '../shared/data/vn-admin-units-pre-2025.csv');
export const CONVERSION_TABLE = resolve(REPO_ROOT, '../shared/data/vn-admin-units-2025-conversion.csv');

export function npmStartWorld(overrides: StartMocksOptions = {}): StartMocksOptions {
  if (!existsSync(OFFICIAL_CATALOGUE)) {
    throw new Error(`The official catalogue is missing: expected it at ${OFFICIAL_CATALOGUE} (shared/data beside the repository), as npm start uses it.`);
  }
  // Defaults alone: the environment of the test run must not change which world this is.
  const defaults = loadMocksConfig({
    ADMIN_UNITS_FILE: OFFICIAL_CATALOGUE,
    ...(existsSync(CONVERSION_TABLE) ? { ADMIN_UNITS_CONVERSION_FILE: CONVERSION_TABLE } : {}),
    ...(existsSync(PRE_2025_CATALOGUE) ? { ADMIN_UNITS_PRE_2025_FILE: PRE_2025_CATALOGUE } : {}),
  });
  return {
    worldSize: defaults.worldSize,
    worldSeed: defaults.worldSeed,
    inconsistencyRate: defaults.inconsistencyRate,
    adminUnitsFile: defaults.adminUnitsFile,
    pre2025UnitsFile: defaults.pre2025UnitsFile,
    conversionFile: defaults.conversionFile,
    latencyMs: 0,
    jitterMs: 0,
    ...overrides,
  };
}
