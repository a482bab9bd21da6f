/**
 * The soak's mixed workload: what commune desks, vendors' dashboards and citizens' portals ask,
 * in realistic proportions, about citizens the mock world really holds (taken from the
 * population mock's `/__truth/sample`). Every request is one a healthy product answers in full,
 * so any error in the answer counts.
 */
import { MOCKS_CONTROL_HEADER } from '../../mocks/sources/test-endpoints';

export interface SampleCitizen {
  personalId: string;
  communeCode: string;
  householdId: string | null;
  parcelIds: string[];
}

export interface WorkloadRequest {
  kind: string;
  query: string;
  variables: Record<string, unknown>;
}

const DOSSIER = `query Dossier($id: ID!) { citizen(personalId: $id) {
  personalId fullName dateOfBirth gender
  permanentResidence { address commune { code name province { name } budget(fiscalYear: 2026) { revenue { totalActual } expenditure { totalActual } balance } } }
  household { householdId head { fullName } members { relationToHead citizen { fullName } } }
  civilStatus { maritalStatus birth { registrationNumber registeredOn } marriages { spouseName status registeredOn endedOn } death { dateOfDeath } }
  landRights { certificateNumber share parcel { parcelId mapSheet parcelNumber area landUseType } }
  socialInsurance { insuranceCode status healthInsuranceCard { cardNumber validTo isValid } }
} }`;

const BATCH = `query Batch($ids: [ID!]!) { citizens(personalIds: $ids) { personalId fullName dateOfBirth civilStatus { maritalStatus } } }`;

const COMMUNE = `query Commune($code: ID!) { commune(code: $code) {
  name province { name } budget(fiscalYear: 2026) { balance revenue { totalEstimate totalActual } }
  residents(first: 10) { totalCount nodes { personalId fullName } pageInfo { hasNextPage } }
} }`;

const HOUSEHOLD = `query Household($id: ID!) { household(householdId: $id) { address head { fullName } members { relationToHead citizen { fullName dateOfBirth } } } }`;

const PARCEL = `query Parcel($id: ID!) { landParcel(parcelId: $id) { area landUseType address commune { name } owners { share certificateNumber citizen { fullName } } } }`;

const PROVINCE = `query Province($code: ID!) { province(code: $code) { name budget(fiscalYear: 2026) { balance communeCount } } }`;

const ACCESS_LOG = `query AccessLog($id: ID!) { accessLog(personalId: $id, first: 5) { at subject clientId purpose fields } }`;

type Builder = (pick: () => SampleCitizen, provinceOf: (commune: string) => string | undefined) => WorkloadRequest | null;

/** Share of each kind of request, in percent. */
export const MIX: { kind: string; share: number; build: Builder }[] = [
  { kind: 'dossier', share: 50, build: (pick) => ({ kind: 'dossier', query: DOSSIER, variables: { id: pick().personalId } }) },
  {
    kind: 'batch',
    share: 15,
    build: (pick) => ({ kind: 'batch', query: BATCH, variables: { ids: [...new Set(Array.from({ length: 10 }, () => pick().personalId))] } }),
  },
  { kind: 'commune', share: 12, build: (pick) => ({ kind: 'commune', query: COMMUNE, variables: { code: pick().communeCode } }) },
  {
    kind: 'household',
    share: 10,
    build: (pick) => {
      const householdId = pick().householdId;
      return householdId ? { kind: 'household', query: HOUSEHOLD, variables: { id: householdId } } : null;
    },
  },
  {
    kind: 'parcel',
    share: 7,
    build: (pick) => {
      const parcels = pick().parcelIds;
      return parcels.length > 0 ? { kind: 'parcel', query: PARCEL, variables: { id: parcels[0] } } : null;
    },
  },
  {
    kind: 'province',
    share: 5,
    build: (pick, provinceOf) => {
      const code = provinceOf(pick().communeCode);
      return code ? { kind: 'province', query: PROVINCE, variables: { code } } : null;
    },
  },
  { kind: 'access-log', share: 1, build: (pick) => ({ kind: 'access-log', query: ACCESS_LOG, variables: { id: pick().personalId } }) },
];

/** Picks the next request: a kind by its share, then a random citizen of the sample. */
export function createWorkload(sample: readonly SampleCitizen[], provinceOf: (commune: string) => string | undefined, random = Math.random) {
  if (sample.length === 0) throw new Error('the workload needs at least one sample citizen');
  const total = MIX.reduce((sum, entry) => sum + entry.share, 0);
  const pick = () => sample[Math.floor(random() * sample.length)];
  return (): WorkloadRequest => {
    for (;;) {
      let roll = random() * total;
      const entry = MIX.find((candidate) => (roll -= candidate.share) < 0) ?? MIX[0];
      const request = entry.build(pick, provinceOf);
      if (request) return request;
    }
  };
}

/** What counts as an error: anything but HTTP 200 with data and no `errors`. Returns its label. */
export function errorOf(status: number, body: unknown): string | null {
  if (status !== 200) return `HTTP ${status}`;
  const parsed = body as { data?: unknown; errors?: { extensions?: { code?: string } }[] } | null;
  if (!parsed || typeof parsed !== 'object') return 'not JSON';
  if (parsed.errors && parsed.errors.length > 0) return parsed.errors[0].extensions?.code ?? 'GRAPHQL_ERROR';
  if (parsed.data === undefined || parsed.data === null) return 'no data';
  return null;
}

/** The sample citizens the population mock offers (clean records: no seeded disagreement, living). */
export async function fetchSample(populationMockUrl: string, controlKey: string, limit = 1000): Promise<SampleCitizen[]> {
  const response = await fetch(`${populationMockUrl}/__truth/sample?limit=${limit}`, { headers: { [MOCKS_CONTROL_HEADER]: controlKey } });
  if (!response.ok) throw new Error(`the population mock's sample endpoint answered HTTP ${response.status}`);
  const { items } = (await response.json()) as { items: SampleCitizen[] };
  return items;
}
