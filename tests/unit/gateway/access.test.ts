/**
 * The gateway's access rules, on the real committed supergraph: requirements read back out of
 * it, operations filtered per caller, answers settled (nulls, errors, jurisdiction, audit reads).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { GraphQLSchema, parse, print } from 'graphql';
import { filterOperation, HIDDEN, OperationRefused } from '../../../gateway/access/operation-filter';
import { createAccessPolicy } from '../../../gateway/access/policy';
import { acceptSecurityFeatures, extractAccessRequirements } from '../../../gateway/access/requirements';
import { settleResponse } from '../../../gateway/access/response-settler';
import { ANONYMOUS, parseJurisdiction, Principal } from '../../../lib/principal';

const SUPERGRAPH = readFileSync(resolve(__dirname, '../../../schema/supergraph.graphql'), 'utf8');
const requirements = extractAccessRequirements(SUPERGRAPH);
const apiSchema: GraphQLSchema = Supergraph.build(acceptSecurityFeatures(SUPERGRAPH)).apiSchema().toGraphQLJSSchema();
const policy = createAccessPolicy(apiSchema, requirements);

const ID = '024190012345';

function principal(scope: string, options: { jurisdiction?: string; purpose?: string | null; locationIndependent?: boolean } = {}): Principal {
  const jurisdiction = parseJurisdiction(options.jurisdiction ?? '24');
  if (typeof jurisdiction === 'string') throw new Error(jurisdiction);
  return {
    subject: 'officer-1',
    clientId: 'tthc',
    scopes: new Set(scope.split(' ').filter(Boolean)),
    jurisdiction,
    purpose: options.purpose === undefined ? '1.001193 HS-1' : options.purpose,
    locationIndependent: options.locationIndependent ?? false,
  };
}

function filter(query: string, caller: Principal | null, operationName?: string) {
  return filterOperation(apiSchema, parse(query), operationName, caller ?? ANONYMOUS, policy);
}

describe('requirements in the supergraph', () => {
  it('reads @requiresScopes and @authenticated back out of the composed supergraph', () => {
    expect(requirements.get('Citizen.fullName')).toEqual({ authenticated: true, scopes: [['population:read']] });
    expect(requirements.get('Citizen.civilStatus')).toEqual({ authenticated: true, scopes: [['civil-status:read', 'gateway:internal']] });
    expect(requirements.get('Query.citizen')).toEqual({ authenticated: true, scopes: [] });
    expect(requirements.get('Commune.budget')?.scopes).toEqual([['budget:read']]);
    expect(requirements.get('Query.provinces')).toBeUndefined();
  });

  it('knows which subgraph resolves each field, for the audit record', () => {
    expect(requirements.ownersOf('Citizen.civilStatus')).toEqual(['civil-status']);
    expect(requirements.ownersOf('Citizen.fullName')).toEqual(['population']);
  });

  it('loads into @apollo/gateway only once the security features are accepted, and keeps the directives', async () => {
    await expect(new ApolloGateway({ supergraphSdl: SUPERGRAPH }).load()).rejects.toThrow(/for: SECURITY but is unsupported/);
    const accepted = acceptSecurityFeatures(SUPERGRAPH);
    expect(accepted).toContain('@requiresScopes(scopes: [["population:read"]])');
    expect(accepted).toContain('https://specs.apollo.dev/requiresScopes/v0.1');
    const gateway = new ApolloGateway({ supergraphSdl: accepted });
    await expect(gateway.load()).resolves.toBeDefined();
    await gateway.stop();
  });

  it('still refuses a SECURITY feature that nothing here enforces', () => {
    const withPolicy = SUPERGRAPH.replace(
      /(@link\(url: "https:\/\/specs\.apollo\.dev\/join\/v[\d.]+", for: EXECUTION\))/,
      '$1\n  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
    );
    expect(acceptSecurityFeatures(withPolicy)).toContain('https://specs.apollo.dev/policy/v0.1", for: SECURITY');
  });
});

describe('filtering an operation', () => {
  const dossier = `query Dossier($id: ID!) {
    citizen(personalId: $id) {
      fullName
      civilStatus { maritalStatus }
      landRights { certificateNumber }
      socialInsurance { status }
      permanentResidence { commune { name budget(fiscalYear: 2026) { balance } } }
    }
  }`;

  it('takes out exactly the fields whose scopes the caller lacks, naming the scope', () => {
    const result = filter(dossier, principal('population:read civil-status:read budget:read'));
    const printed = print(result.document);
    expect(printed).toContain('maritalStatus');
    expect(printed).not.toContain('landRights');
    expect(printed).not.toContain('socialInsurance');
    const citizen = result.plan.children.get('citizen')!.node;
    expect(citizen.removals.map((r) => [r.responseKey, r.code, r.scope])).toEqual([
      ['landRights', 'FORBIDDEN', 'land:read'],
      ['socialInsurance', 'FORBIDDEN', 'social-insurance:read'],
    ]);
  });

  it('adds the hidden personalId and jurisdiction key to every citizen, also when reached through other types', () => {
    const printed = print(
      filter(`{ landParcel(parcelId: "TD-1") { owners { citizen { fullName } } } household(householdId: "HK1") { address } }`, principal('population:read land:read')).document,
    );
    expect(printed).toContain(`${HIDDEN.personalId}: personalId`);
    expect(printed.match(new RegExp(`${HIDDEN.jurisdictionKey}: jurisdictionKey`, 'g'))).toHaveLength(2);
    expect(printed).toContain(`${HIDDEN.headPersonalId}: headPersonalId`);
  });

  it('filters fields reached through named and inline fragments where they are used', () => {
    const result = filter(
      `query { citizen(personalId: "${ID}") { ...Rights ... on Citizen { socialInsurance { status } } } }
       fragment Rights on Citizen { fullName landRights { share } }`,
      principal('population:read'),
    );
    const printed = print(result.document);
    expect(printed).not.toMatch(/landRights|socialInsurance|fragment/);
    expect(printed).toContain('fullName');
    expect(result.plan.children.get('citizen')!.node.removals.map((r) => r.coordinate)).toEqual(['Citizen.landRights', 'Citizen.socialInsurance']);
  });

  it('refuses personal fields without a purpose but serves aggregates', () => {
    const result = filter(
      `{ citizen(personalId: "${ID}") { fullName } commune(code: "07210") { name budget(fiscalYear: 2026) { balance } residents { totalCount } } }`,
      principal('population:read budget:read', { purpose: null }),
    );
    expect(result.plan.removals.map((r) => [r.coordinate, r.reason])).toEqual([['Query.citizen', 'PURPOSE_REQUIRED']]);
    const commune = result.plan.children.get('commune')!.node;
    expect(commune.removals).toEqual([]);
    expect(print(result.document)).toContain('budget(fiscalYear: 2026)');
  });

  it('lets an anonymous caller read only fields without requirements', () => {
    const result = filter(`{ provinces { code name } citizen(personalId: "${ID}") { personalId } }`, null);
    expect(result.plan.removals.map((r) => [r.coordinate, r.code])).toEqual([['Query.citizen', 'UNAUTHENTICATED']]);
    expect(print(result.document)).toContain('provinces');
  });

  it('never lets a client read the internal jurisdiction key or use the gateway reserved names', () => {
    const result = filter(`{ citizen(personalId: "${ID}") { jurisdictionKey } }`, principal('population:read'));
    expect(result.plan.children.get('citizen')!.node.removals[0]).toMatchObject({ coordinate: 'Citizen.jurisdictionKey', scope: 'gateway:internal' });
    expect(() => filter(`{ citizen(personalId: "${ID}") { gw__pid: fullName } }`, principal('population:read'))).toThrow(OperationRefused);
  });
});

describe('settling the answer', () => {
  const query = `query($show: Boolean!) { citizens(personalIds: ["${ID}", "024190054321"]) { fullName landRights @include(if: $show) { share } civilStatus { maritalStatus } } }`;

  function answer(jurisdictionKeys: [string, string]) {
    return {
      citizens: [
        { fullName: 'A', civilStatus: { maritalStatus: 'SINGLE' }, [HIDDEN.personalId]: ID, [HIDDEN.jurisdictionKey]: jurisdictionKeys[0] },
        { fullName: 'B', civilStatus: null, [HIDDEN.personalId]: '024190054321', [HIDDEN.jurisdictionKey]: jurisdictionKeys[1] },
      ],
    };
  }

  it('puts refused fields back as null with one FORBIDDEN error, strips hidden fields and lists the reads', () => {
    const caller = principal('population:read civil-status:read');
    const { plan } = filter(query, caller);
    const settled = settleResponse(answer(['24/07210', '24/07213']), plan, caller, { show: true });
    expect(settled.data).toEqual({
      citizens: [
        { fullName: 'A', civilStatus: { maritalStatus: 'SINGLE' }, landRights: null },
        { fullName: 'B', civilStatus: null, landRights: null },
      ],
    });
    expect(settled.errors).toEqual([
      {
        message: 'Not allowed to read Citizen.landRights: the token lacks the scope land:read',
        path: ['citizens', 0, 'landRights'],
        extensions: { code: 'FORBIDDEN', reason: 'MISSING_SCOPE', scope: 'land:read' },
      },
    ]);
    expect([...settled.reads.values()].map((r) => [r.personalId, [...r.fields]])).toEqual([
      [ID, ['Citizen.fullName', 'Citizen.civilStatus']],
      ['024190054321', ['Citizen.fullName']],
    ]);
  });

  it('adds nothing for a refused field the query skipped', () => {
    const caller = principal('population:read civil-status:read');
    const settled = settleResponse(answer(['24/07210', '24/07213']), filter(query, caller).plan, caller, { show: false });
    expect(settled.errors).toEqual([]);
    expect(settled.data).toEqual({ citizens: [expect.not.objectContaining({ landRights: null }), expect.anything()] });
  });

  it('adds nothing for a refused field inside a fragment the query skipped', () => {
    const caller = principal('population:read');
    const { plan } = filter(`query($show: Boolean!) { citizen(personalId: "${ID}") { fullName ... on Citizen @include(if: $show) { landRights { share } } } }`, caller);
    const data = { citizen: { fullName: 'A', [HIDDEN.personalId]: ID, [HIDDEN.jurisdictionKey]: '24/07210' } };
    expect(settleResponse(structuredClone(data), plan, caller, { show: false }).errors).toEqual([]);
    expect(settleResponse(structuredClone(data), plan, caller, { show: true }).errors).toHaveLength(1);
  });

  it('withholds a record outside the jurisdiction, and records no read of it', () => {
    const caller = principal('population:read civil-status:read land:read', { jurisdiction: '07210' });
    const settled = settleResponse(answer(['24/07210', '24/07213']), filter(query, caller).plan, caller, { show: false });
    expect((settled.data as { citizens: unknown[] }).citizens[1]).toBeNull();
    expect(settled.errors).toEqual([expect.objectContaining({ path: ['citizens', 1], extensions: { code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' } })]);
    expect([...settled.reads.keys()]).toEqual([ID]);
  });

  it('serves outside the jurisdiction only to a location-independent procedure with a purpose, and marks it', () => {
    const caller = principal('population:read civil-status:read', { jurisdiction: '07210', locationIndependent: true });
    const settled = settleResponse(answer(['24/07210', '01/00004']), filter(query, caller).plan, caller, { show: false });
    expect((settled.data as { citizens: unknown[] }).citizens[1]).not.toBeNull();
    expect(settled.reads.get('024190054321')?.locationIndependent).toBe(true);
    expect(settled.reads.get(ID)?.locationIndependent).toBe(false);
  });

  it('withholds a record whose residence cannot be confirmed (fail closed)', () => {
    const caller = principal('population:read civil-status:read');
    const data = answer(['24/07210', '24/07210']);
    delete (data.citizens[0] as Record<string, unknown>)[HIDDEN.jurisdictionKey];
    const settled = settleResponse(data, filter(query, caller).plan, caller, { show: false });
    expect((settled.data as { citizens: unknown[] }).citizens[0]).toBeNull();
    expect(settled.errors[0].extensions).toMatchObject({ reason: 'JURISDICTION_UNKNOWN' });
  });

  it('propagates a null for a non-null refused field to the nearest nullable parent', () => {
    const caller = principal('civil-status:read');
    const { plan } = filter(`{ citizen(personalId: "${ID}") { fullName civilStatus { maritalStatus } } }`, caller);
    const settled = settleResponse(
      { citizen: { civilStatus: { maritalStatus: 'SINGLE' }, [HIDDEN.personalId]: ID, [HIDDEN.jurisdictionKey]: '24/07210' } },
      plan,
      caller,
      {},
    );
    expect(settled.data).toEqual({ citizen: null });
    expect(settled.errors[0]).toMatchObject({ path: ['citizen', 'fullName'], extensions: { scope: 'population:read' } });
    expect(settled.reads.size).toBe(0);
  });
});
