/**
 * Reconciliation against the mocks' seeded inconsistencies on the default world (100,000 citizens,
 * seed vn-2026): every seeded case is found, with the values on each side and when each side last
 * changed, and nothing is found where nothing was seeded; per citizen and commune-wide. Then the
 * access rules: its own scope, jurisdiction, purpose, and the audit log.
 *
 * By default the commune-wide run is checked on two communes (about 11,000 residents); set
 * RECONCILIATION_FULL=1 to check all fifteen (about 40 s more).
 */
import { decodePersonalId } from '../../lib/personal-id';
import { generateWorld, Inconsistency, World } from '../../mocks/world';
import { Stack, PATIENT_DEADLINES, startStack } from '../../stack/stack';

interface Side {
  source: string;
  record: string;
  recordId: string | null;
  value: string | null;
  updatedAt: string | null;
}
interface Finding {
  kind: string;
  personalId: string;
  field: string;
  sides: Side[];
}

const FINDING = 'kind personalId field sides { source record recordId value updatedAt }';
const SCOPES = 'population:read civil-status:read reconciliation:read audit:read';

let stack: Stack;
let world: World;
let auth: Record<string, string>;
/** `personalId kind` of every seeded case. */
let seededKeys: Set<string>;

beforeAll(async () => {
  // The default world, generated once for the whole file.
  world = generateWorld({ size: 100_000, seed: 'vn-2026', inconsistencyRate: 0.02 });
  stack = await startStack({ mocks: { world }, env: PATIENT_DEADLINES });
  auth = { authorization: `Bearer ${await stack.token({ scope: SCOPES, jurisdiction: '*' })}` };
  seededKeys = new Set([...world.inconsistencies.map((i) => `${i.personalId} ${i.kind}`), ...retiredUnitKeys(world.citizens.values())]);
}, 60_000);
afterAll(() => stack?.close());

/** The truth about old codes: every residence population still holds under a retired commune is a finding of its own. */
function retiredUnitKeys(citizens: Iterable<{ personalId: string; recordedCommuneCode?: string }>): string[] {
  return [...citizens].filter((c) => c.recordedCommuneCode).map((c) => `${c.personalId} RETIRED_UNIT_RECORDED`);
}

async function discrepanciesOf(ids: string[]): Promise<Map<string, Finding[]>> {
  const found = new Map<string, Finding[]>();
  for (let i = 0; i < ids.length; i += 50) {
    const { body } = await stack.query<{ citizens: { personalId: string; discrepancies: Finding[] }[] }>(
      `query($ids: [ID!]!) { citizens(personalIds: $ids) { personalId discrepancies { ${FINDING} } } }`,
      { ids: ids.slice(i, i + 50) },
      auth,
    );
    expect(body.errors).toBeUndefined();
    for (const citizen of body.data!.citizens) found.set(citizen.personalId, citizen.discrepancies);
  }
  return found;
}

/** What the finding for a seeded population ↔ civil-status case must say. */
function expectedSides(seeded: Inconsistency): Partial<Side>[] {
  const c = world.citizens.get(seeded.personalId)!;
  const population = { source: 'POPULATION', record: 'CITIZEN_RECORD', value: seeded.populationValue, updatedAt: c.updatedAt.population };
  const civil = { source: 'CIVIL_STATUS', record: 'CIVIL_STATUS_RECORD', value: seeded.civilStatusValue, updatedAt: c.updatedAt.civilStatus };
  if (seeded.kind !== 'PERSONAL_ID_MISMATCH') return [population, civil];
  const decoded = decodePersonalId(seeded.personalId);
  const encoded = seeded.field === 'gender' ? decoded.gender : String(decoded.birthYear);
  return [{ source: 'POPULATION', record: 'PERSONAL_ID', value: encoded, updatedAt: null }, population, civil];
}

describe('Citizen.discrepancies on the default world', () => {
  it('finds every seeded population ↔ civil-status case with both values and both update times, and nothing else about them', async () => {
    const seeded = world.inconsistencies.filter((i) => i.kind !== 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS');
    expect(seeded.length).toBeGreaterThan(1500);
    const found = await discrepanciesOf(seeded.map((i) => i.personalId));
    const wrong: string[] = [];
    for (const i of seeded) {
      // A residence not yet updated is a finding of its own, checked by the tests of old units.
      const own = (found.get(i.personalId) ?? []).filter((f) => f.personalId === i.personalId && f.kind !== 'RETIRED_UNIT_RECORDED');
      if (own.length !== 1 || own[0].kind !== i.kind || own[0].field !== i.field) {
        wrong.push(`${i.kind}: ${own.map((f) => f.kind).join(',') || 'nothing'}`);
        continue;
      }
      try {
        expect(own[0].sides).toEqual(expectedSides(i).map((side) => expect.objectContaining(side)));
      } catch {
        wrong.push(`${i.kind}: sides ${JSON.stringify(own[0].sides.map((s) => s.record))}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('finds each person listed by two households from the second household, naming both lists and the person’s own record', async () => {
    const doubles = world.inconsistencies.filter((i) => i.kind === 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS');
    expect(doubles.length).toBeGreaterThan(100);
    const heads = doubles.map((i) => world.households.get(i.populationValue)!.headId);
    const found = await discrepanciesOf([...new Set(heads)]);
    for (const [n, i] of doubles.entries()) {
      const own = world.citizens.get(i.personalId)!;
      const finding = found.get(heads[n])!.find((f) => f.personalId === i.personalId);
      expect(finding).toMatchObject({ kind: 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS', field: 'householdId' });
      expect(finding!.sides).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ record: 'CITIZEN_RECORD', value: own.householdId }),
          expect.objectContaining({ record: 'HOUSEHOLD_MEMBERS', recordId: own.householdId, updatedAt: world.households.get(own.householdId!)!.updatedAt }),
          expect.objectContaining({ record: 'HOUSEHOLD_MEMBERS', recordId: i.populationValue, updatedAt: world.households.get(i.populationValue)!.updatedAt }),
        ]),
      );
    }
  });

  it('finds nothing where nothing was seeded', async () => {
    const clean = [...world.citizens.values()].filter((c) => !world.index.inconsistenciesByCitizen.has(c.personalId)).slice(0, 1000);
    const found = await discrepanciesOf(clean.map((c) => c.personalId));
    const unseeded = [...found.values()].flat().filter((f) => !seededKeys.has(`${f.personalId} ${f.kind}`));
    expect(unseeded).toEqual([]);
    // Findings about others (a second listing seen from this household) are seeded ones; none about these people.
    expect([...found.entries()].flatMap(([id, list]) => list.filter((f) => f.personalId === id && !seededKeys.has(`${id} ${f.kind}`)))).toEqual([]);
  });
});

describe('Commune.discrepancies on the default world', () => {
  const FULL = process.env.RECONCILIATION_FULL === '1';
  const communes = () => (FULL ? world.catalogue.communes.map((c) => c.Code) : ['07210', '00382']);

  interface ReportPage {
    residentsChecked: number;
    totalCount: number;
    counts: { kind: string; count: number }[];
    nodes: Finding[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }

  async function wholeReport(code: string) {
    const nodes: Finding[] = [];
    let after: string | null = null;
    let report: ReportPage | undefined;
    do {
      const { body }: { body: { data?: { commune: { discrepancies: ReportPage } }; errors?: unknown[] } } = await stack.query(
        `query($code: ID!, $after: String) { commune(code: $code) { discrepancies(first: 200, after: $after) {
          residentsChecked totalCount counts { kind count } nodes { ${FINDING} } pageInfo { hasNextPage endCursor } } } }`,
        { code, after },
        auth,
      );
      expect(body.errors).toBeUndefined();
      const page: ReportPage = body.data!.commune.discrepancies;
      report = page;
      nodes.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    return { ...report!, nodes };
  }

  it('finds exactly the seeded cases among the commune’s residents, counted by kind, over every page', async () => {
    for (const code of communes()) {
      const residents = new Set(world.index.residentsByCommune.get(code));
      const expected = [
        ...world.inconsistencies.filter((i) => residents.has(i.personalId)).map((i) => `${i.personalId} ${i.kind}`),
        ...retiredUnitKeys([...residents].map((id) => world.citizens.get(id)!)),
      ].sort();
      const report = await wholeReport(code);
      expect(report.residentsChecked).toBe(residents.size);
      expect(report.nodes.map((f) => `${f.personalId} ${f.kind}`).sort()).toEqual(expected);
      expect(report.totalCount).toBe(expected.length);
      const counts = Object.fromEntries(report.counts.map((c) => [c.kind, c.count]));
      for (const kind of ['DEATH_NOT_IN_POPULATION', 'MARITAL_STATUS_DIFFERS', 'NAME_DIFFERS', 'BIRTH_DATE_DIFFERS', 'PERSONAL_ID_MISMATCH', 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS']) {
        expect(counts[kind]).toBe(expected.filter((key) => key.endsWith(` ${kind}`)).length);
      }
      expect([counts.DEATH_NOT_IN_CIVIL_STATUS, counts.NOT_IN_CIVIL_STATUS, counts.HOUSEHOLD_MEMBERSHIP_DIFFERS, counts.RESIDENCE_DIFFERS]).toEqual([0, 0, 0, 0]);
    }
  }, FULL ? 300_000 : 60_000);

  it('filters by kind and pages with a cursor, without re-reading the sources for each page', async () => {
    const code = communes()[0];
    stack.mocks.resetStats();
    const { body } = await stack.query<{ commune: { discrepancies: { totalCount: number; nodes: Finding[]; pageInfo: { endCursor: string } } } }>(
      `{ commune(code: "${code}") { discrepancies(first: 3, kinds: [NAME_DIFFERS]) { totalCount nodes { kind personalId } pageInfo { endCursor } } } }`,
      {},
      auth,
    );
    const first = body.data!.commune.discrepancies;
    expect(first.nodes.every((f) => f.kind === 'NAME_DIFFERS')).toBe(true);
    const next = await stack.query<{ commune: { discrepancies: { nodes: Finding[] } } }>(
      `query($after: String) { commune(code: "${code}") { discrepancies(first: 3, kinds: [NAME_DIFFERS], after: $after) { nodes { personalId } } } }`,
      { after: first.pageInfo.endCursor },
      auth,
    );
    expect(next.body.data!.commune.discrepancies.nodes[0].personalId > first.nodes[2].personalId).toBe(true);
    // The report made by the previous test is reused: no residents page, no civil-status call.
    expect(stack.mocks.stats('civil-status').requests).toBe(0);
    expect(stack.mocks.stats('population').byOperation['communes:residents'] ?? 0).toBe(0);
    const bad = await stack.query(`{ commune(code: "${code}") { discrepancies(after: "not-a-cursor") { totalCount } } }`, {}, auth);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    // A cursor continues only the listing it came from.
    const otherKinds = await stack.query(`query($after: String) { commune(code: "${code}") { discrepancies(first: 3, after: $after) { totalCount } } }`, { after: first.pageInfo.endCursor }, auth);
    expect(otherKinds.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('names no one in its cursors: pageInfo is served without a purpose, and is not audited', async () => {
    const code = communes()[0];
    const token = await stack.token({ scope: 'reconciliation:read', jurisdiction: '*', purpose: '' });
    let after: string | null = null;
    for (let i = 0; i < 3; i++) {
      const { body } = await stack.query<any>(
        `query($after: String) { commune(code: "${code}") { discrepancies(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } } } }`,
        { after },
        { authorization: `Bearer ${token}` },
      );
      expect(body.errors).toBeUndefined();
      after = body.data.commune.discrepancies.pageInfo.endCursor as string;
      expect(Buffer.from(after, 'base64url').toString('utf8')).not.toMatch(/\d{12}/);
    }
  });
});

describe('access to reconciliation', () => {
  const seededResident = () => world.inconsistencies.find((i) => i.kind === 'NAME_DIFFERS' && world.citizens.get(i.personalId)!.communeCode === '07210')!;

  it('needs the reconciliation:read scope', async () => {
    const token = await stack.token({ scope: 'population:read civil-status:read', jurisdiction: '*' });
    const { body } = await stack.query<any>(`query($id: ID!) { citizen(personalId: $id) { fullName discrepancies { kind } } }`, { id: seededResident().personalId }, {
      authorization: `Bearer ${token}`,
    });
    expect(body.data.citizen.discrepancies).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'reconciliation:read' });
  });

  it('serves a commune-wide run only inside the jurisdiction, and never to a location-independent token', async () => {
    const outside = await stack.token({ scope: SCOPES, jurisdiction: '01' });
    const roaming = await stack.token({ scope: SCOPES, jurisdiction: '01', locationIndependent: true });
    // The same roaming token may read one citizen of that commune, for its procedure.
    const one = await stack.query<any>(`query($id: ID!) { citizen(personalId: $id) { discrepancies { kind } } }`, { id: seededResident().personalId }, {
      authorization: `Bearer ${roaming}`,
    });
    expect(one.body.data.citizen.discrepancies).toEqual([{ kind: 'NAME_DIFFERS' }]);
    for (const token of [outside, roaming]) {
      const { body } = await stack.query<any>(`{ commune(code: "07210") { name discrepancies { totalCount } } }`, {}, { authorization: `Bearer ${token}` });
      expect(body.data.commune.name).toEqual(expect.any(String));
      expect(body.data.commune.discrepancies).toBeNull();
      expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' });
    }
    const inside = await stack.token({ scope: SCOPES, jurisdiction: '24' });
    const { body } = await stack.query<any>(`{ commune(code: "07210") { discrepancies { totalCount } } }`, {}, { authorization: `Bearer ${inside}` });
    expect(body.data.commune.discrepancies.totalCount).toBeGreaterThan(0);
  });

  it('gives counts without a purpose, but names no one without one', async () => {
    const token = await stack.token({ scope: SCOPES, jurisdiction: '24', purpose: '' });
    const { body } = await stack.query<any>(`{ commune(code: "07210") { discrepancies { totalCount counts { kind count } nodes { personalId } } } }`, {}, {
      authorization: `Bearer ${token}`,
    });
    expect(body.data.commune.discrepancies.totalCount).toBeGreaterThan(0);
    expect(body.data.commune.discrepancies.nodes).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PURPOSE_REQUIRED' });
  });

  it('records every citizen a commune-wide page names in the audit log, even when only the kind is read', async () => {
    const token = await stack.token({ scope: SCOPES, jurisdiction: '24', sub: 'officer-recon', purpose: 'ĐỐI-SOÁT 2026-07' });
    const { body } = await stack.query<any>(`{ commune(code: "07210") { discrepancies(first: 5, kinds: [NAME_DIFFERS]) { nodes { kind } } } }`, {}, {
      authorization: `Bearer ${token}`,
    });
    expect(body.data.commune.discrepancies.nodes).toHaveLength(5);
    const named = world.inconsistencies
      .filter((i) => i.kind === 'NAME_DIFFERS' && world.index.residentsByCommune.get('07210')!.includes(i.personalId))
      .map((i) => i.personalId)
      .sort()
      .slice(0, 5);
    for (const id of named) {
      const log = await stack.query<any>(`query($id: ID!) { accessLog(personalId: $id) { subject purpose fields sources } }`, { id }, auth);
      expect(log.body.data.accessLog).toEqual(
        expect.arrayContaining([expect.objectContaining({ subject: 'officer-recon', purpose: 'ĐỐI-SOÁT 2026-07', fields: ['Discrepancy.kind'], sources: ['reconciliation'] })]),
      );
    }
  });

  it('records them too when the page asks for the nodes twice, first for their type name alone', async () => {
    const token = await stack.token({ scope: SCOPES, jurisdiction: '24', sub: 'officer-recon-twice', purpose: 'ĐỐI-SOÁT 2026-08' });
    const { body } = await stack.query<any>(
      `{ commune(code: "07210") { discrepancies(first: 3, kinds: [NAME_DIFFERS]) { nodes { __typename } nodes { kind personalId sides { value } } } } }`,
      {},
      { authorization: `Bearer ${token}` },
    );
    expect(body.errors).toBeUndefined();
    const nodes = body.data.commune.discrepancies.nodes as { personalId: string }[];
    expect(nodes).toHaveLength(3);
    for (const { personalId } of nodes) {
      const log = await stack.query<any>(`query($id: ID!) { accessLog(personalId: $id) { subject fields } }`, { id: personalId }, auth);
      const entry = (log.body.data.accessLog as { subject: string; fields: string[] }[]).find((e) => e.subject === 'officer-recon-twice');
      expect(entry?.fields).toEqual(expect.arrayContaining(['Discrepancy.kind', 'Discrepancy.personalId', 'Discrepancy.sides']));
    }
  });
});
