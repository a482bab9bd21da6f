/**
 * The one place that reads the environment. Every process (gateway, subgraph, mocks) calls one of
 * the loaders below at start; everything else receives typed options. A bad value stops the
 * process with a message naming the variable and what it expects.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEV_AUDIENCE, DEV_ISSUER, devKeyPaths } from './keys';
import { SOURCES, SUBGRAPHS, SourceName, SubgraphName, defaultSourcePort, defaultSubgraphPort, envPrefix } from './sources';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const rate = z.coerce.number().min(0).max(1);
const httpUrl = z.url({ protocol: /^https?$/ });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, message: 'expected postgres://… or postgresql://…' });
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A URL's password is never repeated in a message. */
function withoutPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#@]*@/i, '$1:***@');
}

/** Parses `env` against `shape`, naming each offending variable on failure. */
function read<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  // Empty strings mean "unset", as they do in most shells and container specs.
  const cleaned: Env = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${JSON.stringify(withoutPassword(env[name] ?? ''))}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

/** Where development keys, the local audit log and other generated files live (ignored by git). */
export function devDirectory(env: Env = process.env): string {
  return env.DEV_DIR && env.DEV_DIR !== '' ? resolve(env.DEV_DIR) : resolve(__dirname, '..', '.dev');
}

export function defaultAuditFile(env: Env = process.env): string {
  return resolve(devDirectory(env), 'audit', 'audit.log');
}

function isProduction(env: Env): boolean {
  return env.NODE_ENV === 'production';
}

// ---------------------------------------------------------------------------------------------
// Source connections, shared by subgraphs (as clients) and mocks (as servers checking the key).

export interface SourceConnection {
  url: string;
  apiKey: string;
}

export function loadSourceConnection(name: SourceName, env: Env = process.env): SourceConnection {
  const prefix = envPrefix(name);
  const values = read(
    {
      [`${prefix}_SOURCE_URL`]: httpUrl.default(`http://127.0.0.1:${defaultSourcePort(name)}`),
      [`${prefix}_SOURCE_KEY`]: z.string().min(8, 'an API key has at least 8 characters').default(`dev-${name}-key`),
    },
    env,
  ) as Record<string, string>;
  return { url: values[`${prefix}_SOURCE_URL`].replace(/\/$/, ''), apiKey: values[`${prefix}_SOURCE_KEY`] };
}

// ---------------------------------------------------------------------------------------------
// Mock sources

export interface MocksConfig {
  host: string;
  ports: Record<SourceName, number>;
  apiKeys: Record<SourceName, string>;
  worldSize: number;
  worldSeed: string;
  adminUnitsFile: string | undefined;
  inconsistencyRate: number;
  latencyMs: number;
  jitterMs: number;
}

export function loadMocksConfig(env: Env = process.env): MocksConfig {
  const v = read(
    {
      MOCKS_HOST: z.string().default('127.0.0.1'),
      WORLD_SIZE: positiveInt.max(2_000_000).default(100_000),
      WORLD_SEED: z.string().default('vn-2026'),
      ADMIN_UNITS_FILE: z.string().optional(),
      INCONSISTENCY_RATE: rate.default(0.02),
      MOCK_LATENCY_MS: nonNegativeInt.default(0),
      MOCK_JITTER_MS: nonNegativeInt.default(0),
    },
    env,
  );
  const ports = {} as Record<SourceName, number>;
  const apiKeys = {} as Record<SourceName, string>;
  for (const name of SOURCES) {
    const prefix = envPrefix(name);
    ports[name] = read({ [`${prefix}_MOCK_PORT`]: port.default(defaultSourcePort(name)) }, env)[`${prefix}_MOCK_PORT`] as number;
    apiKeys[name] = loadSourceConnection(name, env).apiKey;
  }
  return {
    host: v.MOCKS_HOST,
    ports,
    apiKeys,
    worldSize: v.WORLD_SIZE,
    worldSeed: v.WORLD_SEED,
    adminUnitsFile: v.ADMIN_UNITS_FILE,
    inconsistencyRate: v.INCONSISTENCY_RATE,
    latencyMs: v.MOCK_LATENCY_MS,
    jitterMs: v.MOCK_JITTER_MS,
  };
}

// ---------------------------------------------------------------------------------------------
// Subgraphs

export interface SubgraphConfig {
  name: SubgraphName;
  host: string;
  port: number;
  /** Per-call timeout for source requests. */
  sourceTimeoutMs: number;
  /** Upper bound on simultaneous calls to a one-ID-per-call source. */
  sourceConcurrency: number;
  sources: Partial<Record<SourceName, SourceConnection>>;
  /** The gateway's public key: only requests it signed are served. */
  forwardingPublicKeyFile: string;
  /** The audit log the audit subgraph reads (the gateway writes it). */
  auditFile: string;
  /** The PostgreSQL audit log, used instead of `auditFile` when set. */
  auditDatabaseUrl?: string | undefined;
  /** How long each source's answers are reused, in ms (0: not cached). */
  cacheTtlMs: Record<SourceName, number>;
  cacheMaxEntries: number;
}

/**
 * Default reuse of source answers, in seconds: identity and civil status change rarely within a
 * minute, land and budget data change over days, the catalogue only by resolution.
 */
export const DEFAULT_CACHE_TTL_S: Record<SourceName, number> = {
  population: 60,
  'civil-status': 60,
  land: 300,
  'social-insurance': 60,
  budget: 600,
  catalogue: 3600,
};

/** Which sources each subgraph reads. */
export const SUBGRAPH_SOURCES: Record<SubgraphName, SourceName[]> = {
  population: ['population', 'catalogue'],
  'civil-status': ['civil-status'],
  land: ['land', 'catalogue'],
  'social-insurance': ['social-insurance'],
  budget: ['budget', 'catalogue'],
  audit: [],
};

export function loadSubgraphConfig(name: SubgraphName, env: Env = process.env): SubgraphConfig {
  const prefix = envPrefix(name);
  const v = read(
    {
      SUBGRAPH_HOST: z.string().default('127.0.0.1'),
      [`${prefix}_SUBGRAPH_PORT`]: port.default(defaultSubgraphPort(name)),
      SOURCE_TIMEOUT_MS: positiveInt.default(5000),
      SOURCE_CONCURRENCY: positiveInt.max(256).default(16),
      FORWARDING_PUBLIC_KEY_FILE: isProduction(env)
        ? z.string({ message: 'required in production: the gateway forwarding public key (JWK file)' })
        : z.string().default(devKeyPaths(devDirectory(env)).forwardingPublicKey),
      AUDIT_FILE: z.string().default(defaultAuditFile(env)),
      AUDIT_DATABASE_URL: postgresUrl.optional(),
      SOURCE_CACHE_MAX_ENTRIES: positiveInt.default(100_000),
    },
    env,
  ) as Record<string, string & number> & { AUDIT_DATABASE_URL?: string };
  const cacheTtlMs = {} as Record<SourceName, number>;
  for (const source of SOURCES) {
    const variable = `${envPrefix(source)}_CACHE_TTL_S`;
    cacheTtlMs[source] = (read({ [variable]: nonNegativeInt.max(86_400).default(DEFAULT_CACHE_TTL_S[source]) }, env)[variable] as number) * 1000;
  }
  const sources: Partial<Record<SourceName, SourceConnection>> = {};
  for (const source of SUBGRAPH_SOURCES[name]) sources[source] = loadSourceConnection(source, env);
  return {
    name,
    host: v.SUBGRAPH_HOST,
    port: v[`${prefix}_SUBGRAPH_PORT`],
    sourceTimeoutMs: v.SOURCE_TIMEOUT_MS,
    sourceConcurrency: v.SOURCE_CONCURRENCY,
    sources,
    forwardingPublicKeyFile: v.FORWARDING_PUBLIC_KEY_FILE,
    auditFile: v.AUDIT_FILE,
    auditDatabaseUrl: v.AUDIT_DATABASE_URL,
    cacheTtlMs,
    cacheMaxEntries: v.SOURCE_CACHE_MAX_ENTRIES,
  };
}

// ---------------------------------------------------------------------------------------------
// Gateway

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphTimeoutMs: number;
  redisUrl: string | undefined;
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  allowAnonymous: boolean;
  /** The private key the gateway signs forwarded identities with. */
  forwardingPrivateKeyFile: string;
  /** The append-only audit log file ('' in production when only `auditDatabaseUrl` is set). */
  auditFile: string;
  /** The PostgreSQL audit log all replicas share, used instead of `auditFile` when set. */
  auditDatabaseUrl: string | undefined;
  devDir: string;
  production: boolean;
}

const subgraphUrlList = z
  .string()
  .transform((text, ctx) => {
    const out: Partial<Record<SubgraphName, string>> = {};
    for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [name, url] = pair.split('=');
      if (!(SUBGRAPHS as readonly string[]).includes(name) || !url || !/^https?:\/\//.test(url)) {
        ctx.addIssue({ code: 'custom', message: `expected name=url pairs with names from ${SUBGRAPHS.join(', ')}; got "${pair}"` });
        return z.NEVER;
      }
      out[name as SubgraphName] = url;
    }
    return out;
  });

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const production = isProduction(env);
  const dev = devKeyPaths(devDirectory(env));
  const requiredInProduction = (what: string, devDefault: string) =>
    production ? z.string({ message: `required in production: ${what}` }) : z.string().default(devDefault);
  const v = read(
    {
      HOST: z.string().default('0.0.0.0'),
      PORT: port.default(4000),
      SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
      SUBGRAPH_URLS: subgraphUrlList.default({}),
      SUBGRAPH_TIMEOUT_MS: positiveInt.default(10_000),
      REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis://… or rediss://…').optional(),
      JWKS_URL: httpUrl.optional(),
      JWKS_FILE: z.string().optional(),
      JWT_ISSUER: requiredInProduction('the token issuer (iss) to trust', DEV_ISSUER),
      JWT_AUDIENCE: requiredInProduction('the audience (aud) tokens must name', DEV_AUDIENCE),
      ALLOW_ANONYMOUS: bool.default(false),
      FORWARDING_PRIVATE_KEY_FILE: requiredInProduction('the forwarding private key (JWK file)', dev.forwardingPrivateKey),
      // Required in production unless AUDIT_DATABASE_URL is set: checked below.
      AUDIT_FILE: production ? z.string().optional() : z.string().default(defaultAuditFile(env)),
      AUDIT_DATABASE_URL: postgresUrl.optional(),
    },
    env,
  );
  if (production && !v.AUDIT_FILE && !v.AUDIT_DATABASE_URL) {
    throw new ConfigError([
      'AUDIT_DATABASE_URL or AUDIT_FILE: one is required in production (the audit log: PostgreSQL, shared by all gateway replicas, or a file for a single gateway)',
    ]);
  }
  // Development trusts the local issuer unless told otherwise; production must say which issuer.
  let jwksFile = v.JWKS_FILE;
  if (!v.JWKS_URL && !jwksFile) {
    if (production) throw new ConfigError(['JWKS_URL or JWKS_FILE: one is required in production (the token issuer\'s keys)']);
    jwksFile = dev.issuerJwks;
  }
  return {
    host: v.HOST,
    port: v.PORT,
    supergraphPath: v.SUPERGRAPH_PATH,
    subgraphUrls: v.SUBGRAPH_URLS,
    subgraphTimeoutMs: v.SUBGRAPH_TIMEOUT_MS,
    redisUrl: v.REDIS_URL,
    jwksUrl: v.JWKS_URL,
    jwksFile: v.JWKS_URL ? undefined : jwksFile,
    jwtIssuer: v.JWT_ISSUER,
    jwtAudience: v.JWT_AUDIENCE,
    allowAnonymous: v.ALLOW_ANONYMOUS,
    forwardingPrivateKeyFile: v.FORWARDING_PRIVATE_KEY_FILE,
    auditFile: v.AUDIT_FILE ?? '',
    auditDatabaseUrl: v.AUDIT_DATABASE_URL,
    devDir: devDirectory(env),
    production,
  };
}
