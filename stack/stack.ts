/**
 * The whole product in one process on free ports: mock sources, every subgraph and the
 * gateway, wired by configuration exactly as `npm start` wires separate processes. Integration
 * tests and benchmarks start from here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Env, GatewayConfig, loadGatewayConfig, loadSubgraphConfig, MocksConfig, SUBGRAPH_SOURCES } from '../lib/config';
import { ensureDevKeys } from '../lib/keys';
import { DevTokenRequest, mintDevToken } from '../lib/dev-tokens';
import { FREE_TEXT_PURPOSE_SCOPE } from '../lib/principal';
import { envPrefix, SUBGRAPHS, SubgraphName, SOURCES } from '../lib/sources';
import { startMocks, StartMocksOptions } from '../mocks';
import { RunningService, startSubgraph, subgraphServerOptions } from '../subgraphs/common/server';
import { SUBGRAPH_FACTORIES } from '../subgraphs/registry';
import { RunningGateway, startGateway } from '../gateway/server';

export const REPO_ROOT = resolve(__dirname, '..');

/**
 * Deadlines for a stack whose tests are not about giving up: long enough that a loaded machine
 * (a 100-citizen query, ten indicators at once) does not turn a test about answers into a timeout.
 * Tests of timeouts set their own.
 */
export const PATIENT_DEADLINES: Env = { SUBGRAPH_TIMEOUT_MS: '30000', SOURCE_TIMEOUT_MS: '15000' };

export interface StackOptions {
  /** Mock settings; pass `world` to reuse one already generated. */
  mocks?: StartMocksOptions;
  /** Extra environment for subgraphs and gateway (timeouts, keys, …). */
  env?: Env;
}

export type RunningMocks = Awaited<ReturnType<typeof startMocks>>;

export interface Stack {
  gatewayUrl: string;
  gatewayConfig: GatewayConfig;
  /** This stack's own development issuer, forwarding keys and audit log live here. */
  devDir: string;
  /**
   * A token this stack's gateway accepts. With a purpose it also holds the scope
   * purpose:free-text (so the purpose counts), unless `freeText: false`.
   */
  token(request?: Partial<DevTokenRequest> & { freeText?: boolean }): Promise<string>;
  gateway: RunningGateway;
  mocks: RunningMocks;
  subgraphs: Record<SubgraphName, RunningService>;
  /** POSTs a GraphQL request to the gateway and returns status and parsed body. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { data?: T; errors?: GraphQLErrorBody[] } }>;
  close(): Promise<void>;
}

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const freePorts = Object.fromEntries(SOURCES.map((s) => [s, 0])) as MocksConfig['ports'];
  const mocks = await startMocks({ worldSize: 2000, ports: freePorts, ...options.mocks });

  const devDir = mkdtempSync(join(tmpdir(), 'vn-gateway-stack-'));
  await ensureDevKeys(devDir);
  // No per-client rate limit unless a test sets one: load- and fault-tests send more than the
  // default 50/s from one client on a fast machine, and the limit has its own suite.
  const env: Env = { RATE_LIMIT_PER_SECOND: '0', ...options.env, SUBGRAPH_HOST: '127.0.0.1', DEV_DIR: devDir };
  for (const source of SOURCES) env[`${envPrefix(source)}_SOURCE_URL`] = mocks.urls[source];

  const subgraphs = {} as Record<SubgraphName, RunningService>;
  try {
    for (const name of SUBGRAPHS) {
      const config = { ...loadSubgraphConfig(name, env), port: 0 };
      // Only the sources this subgraph reads are wired, as in production.
      config.sources = Object.fromEntries(SUBGRAPH_SOURCES[name].map((s) => [s, config.sources[s]]));
      subgraphs[name] = await startSubgraph(SUBGRAPH_FACTORIES[name](config), { ...subgraphServerOptions(config), host: '127.0.0.1', port: 0 });
    }
    // Each has fetched its reference data (today's catalogue) before the first request.
    await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.ready));
  } catch (error) {
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    await mocks.close();
    rmSync(devDir, { recursive: true, force: true });
    throw error;
  }

  const gatewayConfig = loadGatewayConfig({
    ...env,
    HOST: '127.0.0.1',
    PORT: '0',
    SUPERGRAPH_PATH: resolve(REPO_ROOT, 'schema/supergraph.graphql'),
    SUBGRAPH_URLS: SUBGRAPHS.map((name) => `${name}=${subgraphs[name].url}`).join(','),
  });
  const gateway = await startGateway(gatewayConfig);

  return {
    gatewayUrl: gateway.url,
    gatewayConfig,
    devDir,
    token: ({ freeText = true, ...request } = {}) => {
      const claims: DevTokenRequest = {
        scope: 'population:read civil-status:read land:read social-insurance:read budget:read audit:read',
        jurisdiction: '*',
        purpose: 'TEST-PROCEDURE HS-0001',
        ...request,
      };
      // The suites read personal data with a free-text purpose, which needs its scope; a test of
      // procedures (or of its refusal) passes freeText: false.
      const scopes = claims.scope.split(/\s+/);
      if (freeText && claims.purpose && !scopes.includes('self') && !scopes.includes(FREE_TEXT_PURPOSE_SCOPE)) {
        claims.scope = `${claims.scope} ${FREE_TEXT_PURPOSE_SCOPE}`.trim();
      }
      return mintDevToken(claims, env);
    },
    gateway,
    mocks,
    subgraphs,
    async query(query, variables, headers = {}) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    async close() {
      await gateway.close();
      await Promise.all(Object.values(subgraphs).map((s) => s.close()));
      await mocks.close();
      rmSync(devDir, { recursive: true, force: true });
    },
  };
}
