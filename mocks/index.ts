/**
 * Starts the six mock sources over one synthetic world, in this process. Tests start them on free
 * ports (`ports: { population: 0, … }`); `npm run start:mocks` (mocks/main.ts) on the configured ones.
 */
import { loadMocksConfig, MocksConfig } from '../lib/config';
import { SOURCES, SourceName } from '../lib/sources';
import { randomBytes } from 'node:crypto';
import { MockService, sourceDefinitions } from './sources';
import type { ControlSettings, SourceStats } from './sources';
import { generateWorld } from './world';
import type { World } from './world';

export type { ControlSettings, SourceStats } from './sources';
export { MOCKS_CONTROL_HEADER } from './sources';
export * from './world';

export interface StartMocksOptions extends Partial<MocksConfig> {
  /** A world generated beforehand (shared between test suites, say); otherwise one is generated. */
  world?: World;
}

export interface RunningMocks {
  /** Base URL of each source, without a trailing slash (civil status serves `/HoTichService` below it). */
  urls: Record<SourceName, string>;
  world: World;
  /** The key `/__truth`, `/__control` and `/__stats` require in `x-mocks-control-key`. */
  controlKey: string;
  /** Changes a source's faults and latency, as `PUT /__control` does; returns the new settings. */
  setControl(source: SourceName, patch: Partial<ControlSettings>): ControlSettings;
  stats(source: SourceName): SourceStats;
  /** Resets every source's counters. */
  resetStats(): void;
  close(): Promise<void>;
}

/**
 * Options override the configuration read from the environment (`loadMocksConfig(process.env)`);
 * `ports` and `apiKeys` may name only some sources. Port 0 takes any free port.
 */
export async function startMocks(options: StartMocksOptions = {}): Promise<RunningMocks> {
  const { world: given, ...overrides } = options;
  const base = loadMocksConfig(process.env);
  const config: MocksConfig = {
    ...base,
    ...overrides,
    ports: { ...base.ports, ...overrides.ports },
    apiKeys: { ...base.apiKeys, ...overrides.apiKeys },
  };
  const world =
    given ??
    generateWorld({ size: config.worldSize, seed: config.worldSeed, adminUnitsFile: config.adminUnitsFile, pre2025UnitsFile: config.pre2025UnitsFile, conversionFile: config.conversionFile, inconsistencyRate: config.inconsistencyRate });

  // Unset: a fresh random key, which the caller reads from `controlKey`.
  const controlKey = config.controlKey ?? randomBytes(24).toString('base64url');
  const definitions = sourceDefinitions(world);
  const services = SOURCES.map(
    (name) => new MockService(definitions[name], config.apiKeys[name], { latencyMs: config.latencyMs, jitterMs: config.jitterMs }, controlKey),
  );
  const byName = new Map(services.map((s) => [s.name, s]));
  const close = async () => void (await Promise.all(services.map((s) => s.close())));
  const urlHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  const urls = {} as Record<SourceName, string>;
  try {
    for (const service of services) {
      const port = await service.listen(config.ports[service.name], config.host);
      urls[service.name] = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;
    }
  } catch (error) {
    await close();
    throw error;
  }

  return {
    urls,
    world,
    controlKey,
    setControl: (source, patch) => byName.get(source)!.setControl(patch),
    stats: (source) => byName.get(source)!.getStats(),
    resetStats: () => services.forEach((s) => s.resetStats()),
    close,
  };
}
