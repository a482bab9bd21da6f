/**
 * The gateway's speed features in isolation: which encoding a client gets, which operations the
 * whole-response cache may keep and under what key, how Server-Timing adds up parallel calls, and
 * the configuration that switches them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { GraphQLSchema, parse } from 'graphql';
import { ConfigError, loadGatewayConfig, loadSubgraphConfig } from '../../../lib/config';
import { ANONYMOUS, Principal } from '../../../lib/principal';
import { createAccessPolicy } from '../../../gateway/access/policy';
import { extractAccessRequirements } from '../../../lib/access-requirements';
import { acceptSecurityFeatures } from '../../../gateway/access/requirements';
import { callerNamespace } from '../../../gateway/cache/persisted-queries';
import { accessFingerprint, touchesPersonalData } from '../../../gateway/cache/response-cache';
import { chooseEncoding } from '../../../gateway/compression';
import { coveredMs } from '../../../gateway/server-timing';

describe('chooseEncoding', () => {
  it.each([
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0.1', 'gzip'],
    ['gzip', 'gzip'],
    ['BR', 'br'],
    ['*', 'br'],
    ['*, br;q=0', 'gzip'],
    ['identity', null],
    ['gzip;q=0, br;q=0', null],
    ['', null],
    [undefined, null],
  ])('Accept-Encoding %p → %p', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });
});

describe('the whole-response cache', () => {
  let policy: ReturnType<typeof createAccessPolicy>;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    const supergraph = readFileSync(join(__dirname, '../../../schema/supergraph.graphql'), 'utf8');
    const gateway = new ApolloGateway({ supergraphSdl: acceptSecurityFeatures(supergraph) });
    const { schema: apiSchema } = await gateway.load();
    await gateway.stop();
    schema = apiSchema;
    policy = createAccessPolicy(apiSchema, extractAccessRequirements(supergraph));
  });

  it.each([
    ['{ province(code: "24") { name budget(fiscalYear: 2026) { balance } } }', false],
    ['{ provinces { code communes { code name } } }', false],
    ['{ commune(code: "07210") { residents(first: 1) { totalCount } } }', false],
    ['{ landParcel(parcelId: "TD-1") { area landUseType } }', true],
    ['{ commune(code: "07210") { residents(first: 1) { nodes { fullName } } } }', true],
    ['{ citizen(personalId: "024190012345") { personalId } }', true],
    ['{ landParcel(parcelId: "TD-1") { owners { share } } }', true],
    ['{ accessLog(personalId: "024190012345") { sequence } }', true],
    ['query A { provinces { code } } query B { citizen(personalId: "024190012345") { fullName } }', true],
    ['{ provinces { ...F } } fragment F on Province { code } { household(householdId: "H") { householdId } }', true],
    ['{ noSuchField }', true],
  ])('%s touches personal data: %p', (query, expected) => {
    expect(touchesPersonalData(schema, parse(query), policy)).toBe(expected);
  });

  it('keys entries by everything about the caller that can change an answer', () => {
    const base: Principal = {
      subject: 'officer',
      clientId: 'tthc',
      scopes: new Set(['budget:read', 'population:read']),
      jurisdiction: { national: false, provinces: new Set(['24']), communes: new Set() },
      purpose: 'P',
      locationIndependent: false,
    };
    const same = { ...base, subject: 'another officer', scopes: new Set(['population:read', 'budget:read']), purpose: 'Q' };
    expect(accessFingerprint(same)).toBe(accessFingerprint(base));
    const variants: Principal[] = [
      { ...base, scopes: new Set(['population:read']) },
      { ...base, purpose: null },
      { ...base, jurisdiction: { ...base.jurisdiction, provinces: new Set(['01']) } },
      { ...base, jurisdiction: { national: true, provinces: new Set(), communes: new Set() } },
      { ...base, locationIndependent: true },
      ANONYMOUS,
    ];
    const fingerprints = new Set([base, ...variants].map(accessFingerprint));
    expect(fingerprints.size).toBe(variants.length + 1);
  });
});

describe('persisted queries', () => {
  it('keeps them per calling system and user, under a digest that names neither', () => {
    const officer: Principal = { ...ANONYMOUS, subject: 'officer-7', clientId: 'tthc' };
    const namespaces = [officer, { ...officer, subject: 'officer-8' }, { ...officer, clientId: 'vendor' }, ANONYMOUS].map(callerNamespace);
    expect(new Set(namespaces).size).toBe(4);
    // The same caller, whatever else its token says, finds its own queries again.
    expect(callerNamespace({ ...officer, purpose: 'another purpose' })).toBe(namespaces[0]);
    for (const namespace of namespaces) expect(namespace).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(callerNamespace(undefined)).toBe('none');
  });
});

describe('Server-Timing', () => {
  it('counts overlapping subgraph calls once', () => {
    expect(coveredMs([])).toBe(0);
    expect(coveredMs([[0, 10]])).toBe(10);
    expect(coveredMs([[0, 10], [5, 20], [30, 40]])).toBe(30);
    expect(coveredMs([[30, 40], [0, 50]])).toBe(50);
  });
});

describe('configuration', () => {
  it('has the speed features on, the whole-response cache short, and timing off by default', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({ compressionMinBytes: 1024, responseCacheTtlMs: 10_000, persistedQueryTtlS: 86_400, queryPlanCacheMiB: 64, serverTiming: false });
    expect(loadGatewayConfig({ RESPONSE_COMPRESSION: 'false', RESPONSE_CACHE_TTL_S: '0' })).toMatchObject({ compressionMinBytes: null, responseCacheTtlMs: 0 });
  });

  it('caps a subgraph answer at 64 MiB unless told otherwise, and refuses a cap it cannot use by name', () => {
    expect(loadGatewayConfig({}).subgraphMaxAnswerBytes).toBe(64 * 1024 * 1024);
    expect(loadGatewayConfig({ SUBGRAPH_MAX_ANSWER_MIB: '8' }).subgraphMaxAnswerBytes).toBe(8 * 1024 * 1024);
    for (const bad of ['0', '-1', '2048', 'lots']) expect(() => loadGatewayConfig({ SUBGRAPH_MAX_ANSWER_MIB: bad })).toThrow(/SUBGRAPH_MAX_ANSWER_MIB/);
  });

  it('holds audit writes at least 5 ms apart under load unless told otherwise, and refuses an interval it cannot use by name', () => {
    expect(loadGatewayConfig({}).auditCommitIntervalMs).toBe(5);
    expect(loadGatewayConfig({ AUDIT_COMMIT_INTERVAL_MS: '0' }).auditCommitIntervalMs).toBe(0);
    for (const bad of ['-1', '101', '2.5', 'soon']) expect(() => loadGatewayConfig({ AUDIT_COMMIT_INTERVAL_MS: bad })).toThrow(/AUDIT_COMMIT_INTERVAL_MS/);
  });

  it('signs the calls of one turn together unless told otherwise, and refuses a value it cannot read by name', () => {
    expect(loadGatewayConfig({}).forwardingBatchSignatures).toBe(true);
    expect(loadGatewayConfig({ FORWARDING_BATCH_SIGNATURES: 'false' }).forwardingBatchSignatures).toBe(false);
    expect(() => loadGatewayConfig({ FORWARDING_BATCH_SIGNATURES: 'sometimes' })).toThrow(/FORWARDING_BATCH_SIGNATURES/);
  });

  it('reads the stale window and Redis per subgraph, and refuses bad values by name', () => {
    const config = loadSubgraphConfig('land', { LAND_STALE_IF_ERROR_S: '30', REDIS_URL: 'redis://cache:6379' });
    expect(config.staleIfErrorMs).toMatchObject({ land: 30_000, population: 300_000 });
    expect(config.redis).toEqual({ mode: 'single', url: 'redis://cache:6379' });
    expect(() => loadSubgraphConfig('land', { REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
    expect(() => loadSubgraphConfig('land', { CACHE_INVALIDATION_TOKEN: 'short' })).toThrow(/CACHE_INVALIDATION_TOKEN.*32 characters/);
  });

  it('refuses the benchmark mode in production', () => {
    expect(loadSubgraphConfig('land', { SUBGRAPH_TRUST_UNSIGNED: 'true' }).trustUnsigned).toBe(true);
    expect(() => loadSubgraphConfig('land', { SUBGRAPH_TRUST_UNSIGNED: 'true', NODE_ENV: 'production', FORWARDING_PUBLIC_KEY_FILE: '/k.json' })).toThrow(ConfigError);
  });
});
