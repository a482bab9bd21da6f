/**
 * Every saved playground example, run as the playground runs it (the sample officer's token, tabs
 * in order) against the world `npm start` serves by default, returns what its persona came for:
 * no errors and no empty answer. When the world's generator changes and an example's citizen no
 * longer fits, this names the example; gateway/playground/examples/README.md says how to pick again.
 */
import { loadExamples, SAMPLE_DOSSIER } from '../../gateway/playground/examples';
import { SAMPLE_OFFICER, sampleOfficerTokens } from '../../gateway/playground/sample-officer';
import { npmStartWorld } from '../support/npm-start-world';
import { Stack, PATIENT_DEADLINES, startStack } from '../../stack/stack';

type Data = Record<string, any>;

/** What each persona needs from its answer, beyond "no error, nothing empty". */
const EXPECTED: Record<string, (data: Data, variables: Data) => void> = {
  '01-tthc-marital-status': ({ citizen }) => {
    expect(citizen.lifeStatus).toBe('LIVING');
    expect(citizen.permanentResidence.commune.province.code).toBe(SAMPLE_OFFICER.jurisdiction);
    expect(citizen.civilStatus.maritalStatus).toBe('DIVORCED');
    expect(citizen.civilStatus.marriages.map((m: Data) => m.status)).toContain('DIVORCED');
  },
  '02-tthc-birth-registration': ({ mother, father }, { motherId, fatherId }) => {
    for (const [parent, spouseId] of [[mother, fatherId], [father, motherId]]) {
      expect(parent.civilStatus.maritalStatus).toBe('MARRIED');
      expect(parent.civilStatus.marriages).toContainEqual(expect.objectContaining({ status: 'ACTIVE', spouse: { personalId: spouseId } }));
      expect(parent.household.members.length).toBeGreaterThan(1);
    }
    expect(mother.household.householdId).toBe(father.household.householdId);
    // The birth registration's catalogue entry reads no insurance or land: the example asks none.
    expect(mother.socialInsurance).toBeUndefined();
  },
  '03-tthc-land-transfer': ({ citizen }) => {
    expect(citizen.civilStatus.maritalStatus).toBe('MARRIED');
    expect(citizen.landRights.length).toBeGreaterThan(0);
    const spouse = citizen.civilStatus.marriages.find((m: Data) => m.status === 'ACTIVE').spouse.personalId;
    // The spouse co-owns a parcel: the transfer needs their consent, and the answer shows it.
    expect(citizen.landRights.flatMap((r: Data) => r.parcel.owners.map((o: Data) => o.citizen.personalId))).toContain(spouse);
  },
  '04-vendor-commune-statistics': ({ commune }) => {
    expect(commune.province.code).toBe('24');
    expect(commune.residents.totalCount).toBeGreaterThan(0);
    expect(commune.budget.revenue.totalEstimate).toBeGreaterThan(0);
  },
  '05-budget-transparency-province': ({ province }) => {
    expect(province.name).toBe('Tỉnh Bắc Ninh');
    expect(province.budget.communeCount).toBe(99);
    expect(province.budget.revenue.lines.length).toBeGreaterThan(0);
    expect(province.budget.expenditure.lines.length).toBeGreaterThan(0);
  },
  '07-reconciliation-commune-and-citizen': ({ commune, citizen }) => {
    // Seeded in the default world: two names and a gender the ID contradicts, found with both sides.
    expect(commune.discrepancies.totalCount).toBeGreaterThan(0);
    expect(commune.discrepancies.nodes.every((f: Data) => f.sides.length >= 2 && f.sides.some((s: Data) => s.updatedAt))).toBe(true);
    expect(citizen.discrepancies).toContainEqual(expect.objectContaining({ kind: 'PERSONAL_ID_MISMATCH', field: 'gender' }));
  },
  '08-provenance-dossier-freshness': ({ citizen }) => {
    expect(citizen.provenance).toMatchObject({ source: 'POPULATION', producedAt: expect.any(String) });
    expect(citizen.civilStatus.provenance.source).toBe('CIVIL_STATUS');
    expect(citizen.landRights[0].parcel.provenance.source).toBe('LAND');
    expect(citizen.socialInsurance.provenance.source).toBe('SOCIAL_INSURANCE');
    expect(citizen.permanentResidence.commune.provenance.source).toBe('CATALOGUE');
  },
  '09-budget-revenue-sharing': ({ commune, province }) => {
    const { lines, totals } = commune.budget.revenueSharing;
    expect(lines.length).toBeGreaterThan(0);
    expect(totals.provinceShare + totals.communeShare).toBe(totals.amount);
    expect(commune.budget.revenueSharing.unmatchedItemCodes).toEqual([]);
    expect(province.budget.revenueSharing.totals.amount).toBeGreaterThan(0);
  },
  '10-indicators-dashboard': ({ commune, province }) => {
    expect(commune.indicators.population).toBeGreaterThan(0);
    expect(province.indicators.communeCount).toBe(99);
    expect(province.indicators.population).toBeGreaterThanOrEqual(commune.indicators.population);
    expect(commune.indicators.insuranceCoverage.activeShare).toBeGreaterThan(0);
    expect(province.indicators.civilStatusEvents).toHaveLength(6);
  },
  '06-citizen-access-history': ({ accessLog }) => {
    // The first tab read this citizen's civil status for its procedure and dossier; the log says who, why and what.
    expect(accessLog).toContainEqual(
      expect.objectContaining({
        subject: SAMPLE_OFFICER.sub,
        purpose: `local:marital-status-confirmation ${SAMPLE_DOSSIER}`,
        fields: expect.arrayContaining(['Citizen.civilStatus']),
      }),
    );
  },
};

/** Nothing the example asked for at the top is missing or empty. */
function expectNothingEmpty(data: Data | undefined): void {
  expect(data).toBeDefined();
  for (const [field, value] of Object.entries(data!)) {
    expect([field, value === null || (Array.isArray(value) && value.length === 0) ? 'empty' : 'present']).toEqual([field, 'present']);
  }
}

let stack: Stack;
let headers: Record<string, string>;
const examples = loadExamples();

beforeAll(async () => {
  stack = await startStack({ mocks: npmStartWorld(), env: PATIENT_DEADLINES });
  const token = await sampleOfficerTokens(stack.gatewayConfig)!();
  headers = { authorization: `Bearer ${token.token}` };
}, 60_000);
afterAll(() => stack?.close());

describe('playground examples against the default npm start world', () => {
  it('are all here: six personas, each with a check of its own', () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
  });

  // In tab order: the access history lists the reads the earlier tabs made.
  it.each(examples.map((e) => [e.name, e] as const))('%s returns its persona\'s data', async (_name, example) => {
    // A TTHC persona's tab names its procedure and a dossier, as the playground sends them.
    const procedure: Record<string, string> = example.procedure ? { 'x-procedure': example.procedure, 'x-dossier': SAMPLE_DOSSIER } : {};
    const { status, body } = await stack.query<Data>(example.query, example.variables, { ...headers, ...procedure });
    expect(body.errors ?? []).toEqual([]);
    expect(status).toBe(200);
    expectNothingEmpty(body.data);
    EXPECTED[example.name]?.(body.data!, example.variables);
  });
});
