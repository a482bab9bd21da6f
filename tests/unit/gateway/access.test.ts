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
import { extractAccessRequirements } from '../../../lib/access-requirements';
import { acceptSecurityFeatures } from '../../../gateway/access/requirements';
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

  it('adds the hidden subjects and jurisdiction key to every personal record, also when reached through other types', () => {
    const printed = print(
      filter(`{ landParcel(parcelId: "TD-1") { owners { citizen { fullName } } } household(householdId: "HK1") { address } }`, principal('population:read land:read')).document,
    );
    expect(printed).toContain(`${HIDDEN.subject}: personalId`);
    // The parcel, each holder, each holder's citizen record and the household.
    expect(printed.match(new RegExp(`${HIDDEN.jurisdictionKey}: jurisdictionKey`, 'g'))).toHaveLength(4);
    expect(printed).toContain(`${HIDDEN.subject}: memberPersonalIds`);
    expect(printed).toContain(`${HIDDEN.subject}: ownerPersonalIds`);
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
        { fullName: 'A', civilStatus: { maritalStatus: 'SINGLE' }, [HIDDEN.subject]: ID, [HIDDEN.jurisdictionKey]: jurisdictionKeys[0] },
        { fullName: 'B', civilStatus: null, [HIDDEN.subject]: '024190054321', [HIDDEN.jurisdictionKey]: jurisdictionKeys[1] },
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

  it('lists the personal fields refused, by reason, once for every place; a skipped one and a refused aggregate are not among them', () => {
    const caller = principal('population:read civil-status:read');
    const settled = settleResponse(answer(['24/07210', '24/07213']), filter(query, caller).plan, caller, { show: true });
    expect([...settled.refusals.values()].map((r) => [r.code, r.reason, [...r.fields], r.count])).toEqual([['FORBIDDEN', 'MISSING_SCOPE', ['Citizen.landRights'], 2]]);
    expect(settleResponse(answer(['24/07210', '24/07213']), filter(query, caller).plan, caller, { show: false }).refusals.size).toBe(0);
    const budget = filter('{ province(code: "24") { name budget(fiscalYear: 2026) { balance } } }', caller);
    expect(settleResponse({ province: { name: 'Bắc Ninh', budget: null } }, budget.plan, caller, {}).refusals.size).toBe(0);
  });

  it("counts a record a subgraph's own jurisdiction check withheld as refused, and an unknown ID as nothing", () => {
    const caller = principal('population:read civil-status:read', { jurisdiction: '07210' });
    const data = answer(['24/07210', '24/07210']);
    data.citizens[1] = null as never;
    const { plan } = filter(query, caller);
    const unknown = settleResponse(structuredClone(data), plan, caller, { show: false });
    expect(unknown.refusals.size).toBe(0);
    const withheld = settleResponse(structuredClone(data), plan, caller, { show: false }, { upstreamRefusalAt: (path) => (path.join('.') === 'citizens.1' ? 'OUTSIDE_JURISDICTION' : null) });
    expect([...withheld.refusals.values()]).toEqual([expect.objectContaining({ reason: 'OUTSIDE_JURISDICTION', count: 1, fields: new Set(['Citizen.fullName', 'Citizen.civilStatus']) })]);
    expect(withheld.errors).toEqual(unknown.errors); // the caller is told the same
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
    const data = { citizen: { fullName: 'A', [HIDDEN.subject]: ID, [HIDDEN.jurisdictionKey]: '24/07210' } };
    expect(settleResponse(structuredClone(data), plan, caller, { show: false }).errors).toEqual([]);
    expect(settleResponse(structuredClone(data), plan, caller, { show: true }).errors).toHaveLength(1);
  });

  it('withholds a record outside the jurisdiction, and records no read of it', () => {
    const caller = principal('population:read civil-status:read land:read', { jurisdiction: '07210' });
    const settled = settleResponse(answer(['24/07210', '24/07213']), filter(query, caller).plan, caller, { show: false });
    expect((settled.data as { citizens: unknown[] }).citizens[1]).toBeNull();
    expect(settled.errors).toEqual([expect.objectContaining({ path: ['citizens', 1], extensions: { code: 'FORBIDDEN', reason: 'NOT_FOUND_OR_OUTSIDE_JURISDICTION' } })]);
    expect([...settled.reads.keys()]).toEqual([ID]);
    expect([...settled.refusals.values()]).toEqual([expect.objectContaining({ code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION', count: 1 })]);
  });

  it('answers an unknown ID exactly as one outside the jurisdiction, so refusals reveal nobody', () => {
    const caller = principal('population:read civil-status:read land:read', { jurisdiction: '07210' });
    const outside = settleResponse(answer(['24/07210', '24/07213']), filter(query, caller).plan, caller, { show: false });
    const unknown = answer(['24/07210', '24/07210']);
    unknown.citizens[1] = null as never;
    const settled = settleResponse(unknown, filter(query, caller).plan, caller, { show: false });
    expect(settled.data).toEqual(outside.data);
    expect(settled.errors).toEqual(outside.errors);
    // A caller who may read anyone anywhere learns nothing from a plain null.
    const national = principal('population:read civil-status:read land:read', { jurisdiction: '*' });
    const plain = answer(['24/07210', '24/07210']);
    plain.citizens[1] = null as never;
    expect(settleResponse(plain, filter(query, national).plan, national, { show: false }).errors).toEqual([]);
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
      { citizen: { civilStatus: { maritalStatus: 'SINGLE' }, [HIDDEN.subject]: ID, [HIDDEN.jurisdictionKey]: '24/07210' } },
      plan,
      caller,
      {},
    );
    expect(settled.data).toEqual({ citizen: null });
    expect(settled.errors[0]).toMatchObject({ path: ['citizen', 'fullName'], extensions: { scope: 'population:read' } });
    expect(settled.reads.size).toBe(0);
  });
});

describe('what @personal declares', () => {
  it('audits each person a bare reference names, judged with the record that holds it', () => {
    const caller = principal('population:read land:read', { jurisdiction: '24' });
    const { plan, document } = filter(`{ landParcel(parcelId: "TD-07210-1-1") { area owners { share citizen { personalId } } } }`, caller);
    // The reference carries only its subject: no look-up of the co-owner's residence.
    expect(print(document)).not.toMatch(/citizen \{\s*personalId\s*gw__sub: personalId\s*gw__jk/);
    const settled = settleResponse(
      {
        landParcel: {
          area: 100,
          owners: [
            { share: 0.5, citizen: { personalId: ID, [HIDDEN.subject]: ID }, [HIDDEN.subject]: ID, [HIDDEN.jurisdictionKey]: '24/07210' },
            { share: 0.5, citizen: { personalId: '024190054321', [HIDDEN.subject]: '024190054321' }, [HIDDEN.subject]: '024190054321', [HIDDEN.jurisdictionKey]: '24/07210' },
          ],
          [HIDDEN.subject]: [ID, '024190054321'],
          [HIDDEN.jurisdictionKey]: '24/07210',
        },
      },
      plan,
      caller,
      {},
    );
    expect(settled.errors).toEqual([]);
    expect([...settled.reads.keys()].sort()).toEqual([ID, '024190054321'].sort());
    expect([...settled.reads.get(ID)!.fields].sort()).toEqual(['Citizen.personalId', 'LandOwner.citizen', 'LandOwner.share', 'LandParcel.area', 'LandParcel.owners']);
    expect(JSON.stringify(settled.data)).not.toContain('gw__');
  });

  it('marks a person a bare reference names as read by location independence when the record holding it was', () => {
    const spouse = '024190054321';
    const query = `{ citizen(personalId: "${ID}") { fullName civilStatus { marriages { spouse { personalId } } } } }`;
    const answer = (residence: string) => ({
      citizen: {
        fullName: 'X',
        civilStatus: { marriages: [{ spouse: { personalId: spouse, [HIDDEN.subject]: spouse } }] },
        [HIDDEN.subject]: ID,
        [HIDDEN.jurisdictionKey]: residence,
      },
    });
    const outsider = principal('population:read civil-status:read', { jurisdiction: '07210', locationIndependent: true });
    const settled = settleResponse(answer('01/00004'), filter(query, outsider).plan, outsider, {});
    expect(settled.errors).toEqual([]);
    expect(settled.reads.get(ID)?.locationIndependent).toBe(true);
    expect(settled.reads.get(spouse)).toMatchObject({ locationIndependent: true, fields: new Set(['Citizen.personalId']) });
    // Inside the jurisdiction, nobody is marked.
    const local = principal('population:read civil-status:read', { jurisdiction: '01' });
    const inside = settleResponse(answer('01/00004'), filter(query, local).plan, local, {});
    expect(inside.reads.get(spouse)?.locationIndependent).toBe(false);
  });

  it('judges and audits a response key asked twice as one record when a later occurrence asks more than the key', () => {
    const caller = principal('population:read land:read', { jurisdiction: '24' });
    const other = '024190054321';
    for (const query of [
      `{ landParcel(parcelId: "TD-07210-1-1") { area owners { citizen { personalId } citizen { fullName } } } }`,
      `{ landParcel(parcelId: "TD-07210-1-1") { area owners { citizen { personalId } ... on LandOwner { citizen { fullName } } } } }`,
      `{ landParcel(parcelId: "TD-07210-1-1") { area owners { citizen { personalId } citizen @include(if: true) { fullName } } } }`,
    ]) {
      const { plan, document } = filter(query, caller);
      // Each occurrence carries the co-owner's own residence, whichever of them runs.
      expect(print(document).match(/gw__jk: jurisdictionKey/g)).toHaveLength(2 + 2);
      const owner = (personalId: string, residence: string) => ({
        citizen: { personalId, fullName: 'X', [HIDDEN.subject]: personalId, [HIDDEN.jurisdictionKey]: residence },
        [HIDDEN.subject]: personalId,
        [HIDDEN.jurisdictionKey]: '24/07210',
      });
      const settled = settleResponse(
        { landParcel: { area: 100, owners: [owner(ID, '24/07210'), owner(other, '01/00004')], [HIDDEN.subject]: [ID, other], [HIDDEN.jurisdictionKey]: '24/07210' } },
        plan,
        caller,
        {},
      );
      expect([...settled.reads.get(ID)!.fields]).toContain('Citizen.fullName');
      // The co-owner living outside the jurisdiction is withheld, as `citizen { personalId fullName }` would be.
      expect((settled.data as { landParcel: { owners: { citizen: unknown }[] } }).landParcel.owners[1].citizen).toBeNull();
      expect(settled.errors[0]).toMatchObject({ extensions: { reason: 'OUTSIDE_JURISDICTION' } });
    }
  });

  it('audits every member of a household whose ID is asked first and its address after', () => {
    const caller = principal('population:read', { jurisdiction: '24' });
    const { plan, document } = filter(`{ citizen(personalId: "${ID}") { household { householdId } household { address } } }`, caller);
    expect(print(document)).toMatch(/gw__sub: memberPersonalIds/);
    const members = [ID, '024190054321', '024190099999'];
    const settled = settleResponse(
      {
        citizen: {
          household: { householdId: 'HK-1', address: 'X', [HIDDEN.subject]: members, [HIDDEN.jurisdictionKey]: '24/07210' },
          [HIDDEN.subject]: ID,
          [HIDDEN.jurisdictionKey]: '24/07210',
        },
      },
      plan,
      caller,
      {},
    );
    expect([...settled.reads.keys()].sort()).toEqual([...members].sort());
    expect([...settled.reads.get('024190099999')!.fields]).toEqual(expect.arrayContaining(['Household.address']));
  });

  it('lists the residents of a commune only strictly inside the jurisdiction, never through location independence', () => {
    const query = `{ commune(code: "01273") { name residents(first: 2) { totalCount nodes { personalId } } } }`;
    const outsider = principal('population:read', { jurisdiction: '24', locationIndependent: true });
    const { plan } = filter(query, outsider);
    const data = () => ({
      commune: {
        name: 'X',
        residents: { totalCount: 1, nodes: [{ personalId: ID, [HIDDEN.subject]: ID }] },
        [HIDDEN.listingJurisdiction]: '01/01273',
      },
    });
    const refused = settleResponse(data(), plan, outsider, {});
    expect(refused.data).toEqual({ commune: { name: 'X', residents: null } });
    expect(refused.errors[0]).toMatchObject({ path: ['commune', 'residents'], extensions: { code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' } });
    expect(refused.reads.size).toBe(0);
    const local = principal('population:read', { jurisdiction: '01' });
    const served = settleResponse(data(), filter(query, local).plan, local, {});
    expect(served.errors).toEqual([]);
    expect([...served.reads.keys()]).toEqual([ID]);
  });

  it("locates the citizen whose access history is asked for, and judges it like the citizen's records", () => {
    const query = `query($id: ID!) { accessLog(personalId: $id) { at purpose } }`;
    const caller = principal('audit:read', { jurisdiction: '79' });
    const { plan, document } = filter(query, caller);
    expect(print(document)).toMatch(/gw__loc0: citizen\(personalId: \$id\)/);
    const history = (jurisdictionKey: string | null) => ({
      accessLog: [{ at: '2026-01-01', purpose: 'p' }],
      gw__loc0: jurisdictionKey ? { [HIDDEN.subject]: ID, [HIDDEN.jurisdictionKey]: jurisdictionKey } : null,
    });
    const outside = settleResponse(history('01/00004'), plan, caller, { id: ID });
    expect(outside.data).toBeNull();
    expect(outside.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_FOUND_OR_OUTSIDE_JURISDICTION' });
    expect(outside.reads.size).toBe(0);
    const unknown = settleResponse(history(null), plan, caller, { id: ID });
    expect(unknown.errors).toEqual(outside.errors);
    const inside = settleResponse(history('79/26734'), plan, caller, { id: ID });
    expect(inside.data).toEqual({ accessLog: [{ at: '2026-01-01', purpose: 'p' }] });
    expect([...inside.reads.get(ID)!.fields]).toEqual(['Query.accessLog']);
    expect(filter(query, principal('audit:read', { purpose: null })).plan.removals[0]).toMatchObject({ reason: 'PURPOSE_REQUIRED' });
  });

  it("lets a citizen's own token read their records and history, and nobody else's", () => {
    const self: Principal = {
      ...principal('self', { purpose: 'self' }),
      jurisdiction: { national: false, provinces: new Set(), communes: new Set() },
      self: ID,
    };
    const query = `{ citizens(personalIds: ["${ID}", "024190054321"]) { fullName civilStatus { maritalStatus } } }`;
    const { plan } = filter(query, self);
    expect(plan.children.get('citizens')!.node.removals).toEqual([]);
    const settled = settleResponse(
      {
        citizens: [
          { fullName: 'A', civilStatus: { maritalStatus: 'SINGLE' }, [HIDDEN.subject]: ID, [HIDDEN.jurisdictionKey]: '24/07210' },
          { fullName: 'B', civilStatus: null, [HIDDEN.subject]: '024190054321', [HIDDEN.jurisdictionKey]: '24/07210' },
        ],
      },
      plan,
      self,
      {},
    );
    expect(settled.data).toEqual({ citizens: [{ fullName: 'A', civilStatus: { maritalStatus: 'SINGLE' } }, null] });
    expect([...settled.reads.keys()]).toEqual([ID]);
    // Aggregates need their own scope, which a citizen's token never holds.
    expect(filter(`{ province(code: "24") { budget(fiscalYear: 2026) { balance } } }`, self).plan.children.get('province')!.node.removals[0]).toMatchObject({
      coordinate: 'Province.budget',
      reason: 'MISSING_SCOPE',
    });
  });
});

describe('a query the caller may fully read', () => {
  it('goes to the planner as the caller wrote it, fragments on interfaces included', async () => {
    const { composeServices } = await import('@apollo/composition');
    const composed = composeServices([
      {
        name: 'toasters',
        url: 'http://127.0.0.1:1/graphql',
        typeDefs: parse(`
          extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
          type Query { toasters: [Toaster] }
          interface Node { id: ID! }
          type Toaster implements Node @key(fields: "id") { id: ID! name: String }
        `),
      },
    ]);
    if (composed.errors) throw composed.errors[0];
    const schema = Supergraph.build(composed.supergraphSdl).apiSchema().toGraphQLJSSchema();
    const toyPolicy = createAccessPolicy(schema, extractAccessRequirements(composed.supergraphSdl));
    const document = parse(
      `{ toasters { ...ToasterFragment ...NodeFragment } } fragment ToasterFragment on Toaster { id } fragment NodeFragment on Node { id __typename }`,
    );
    const filtered = filterOperation(schema, document, undefined, principal(''), toyPolicy);
    expect(filtered.changed).toBe(false);
    expect(filtered.document).toBe(document);
  });
});
