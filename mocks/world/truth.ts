/**
 * Ground truth for tests: a citizen's canonical record joined across every source, and samples of
 * citizens with the records a test needs (a household, land, insurance, marriages, …).
 */
import { isSplit } from './legacy-codes';
import type {
  BirthRegistration, Citizen, DeathRegistration, Gender, InconsistencyKind, InsuranceRecord, LandParcel,
  LifeStatus, MaritalStatus, Marriage, RelationToHead, Timestamp, World,
} from './types';
import { lifeStatusOf, populationView, PopulationView } from './views';

export interface CitizenTruth {
  personalId: string;
  fullName: string;
  dateOfBirth: string;
  gender: Gender;
  lifeStatus: LifeStatus;
  birthProvinceCode: string;
  /** `communeCode`: today's unit; `recordedCommuneCode`: what population stores when not yet updated. */
  permanentResidence: { communeCode: string; address: string; recordedCommuneCode?: string };
  household: { householdId: string; relationToHead: RelationToHead; headId: string } | null;
  civilStatus: { maritalStatus: MaritalStatus; birth: BirthRegistration; marriages: Marriage[]; death: DeathRegistration | null };
  /** Each parcel the citizen holds, with this citizen's share and certificate. */
  landParcels: (LandParcel & { share: number; certificateNo: string; certificateIssuedOn: string })[];
  insurance: InsuranceRecord | null;
  /** What the population database says (differs from the truth only where a disagreement is seeded). */
  population: PopulationView;
  inconsistencies: { kind: InconsistencyKind; field: string; populationValue: string; civilStatusValue: string | null }[];
  updatedAt: { population: Timestamp; civilStatus: Timestamp };
}

export function truthOf(world: World, personalId: string): CitizenTruth | null {
  const c = world.citizens.get(personalId);
  if (!c) return null;
  const household = c.householdId ? world.households.get(c.householdId) : undefined;
  return {
    personalId: c.personalId,
    fullName: c.fullName,
    dateOfBirth: c.dateOfBirth,
    gender: c.gender,
    lifeStatus: lifeStatusOf(c),
    birthProvinceCode: c.birthProvinceCode,
    permanentResidence: { communeCode: c.communeCode, address: c.address, ...(c.recordedCommuneCode ? { recordedCommuneCode: c.recordedCommuneCode } : {}) },
    household: household ? { householdId: household.householdId, relationToHead: c.relationToHead!, headId: household.headId } : null,
    civilStatus: { maritalStatus: c.maritalStatus, birth: c.birth, marriages: c.marriages, death: c.death },
    landParcels: (world.index.parcelsByOwner.get(personalId) ?? []).map((id) => {
      const parcel = world.parcels.get(id)!;
      const { share, certificateNo, certificateIssuedOn } = parcel.holders.find((h) => h.personalId === personalId)!;
      return { ...parcel, share, certificateNo, certificateIssuedOn };
    }),
    insurance: world.insurance.get(personalId) ?? null,
    population: populationView(c),
    inconsistencies: (world.index.inconsistenciesByCitizen.get(personalId) ?? []).map(({ personalId: _id, ...rest }) => rest),
    updatedAt: c.updatedAt,
  };
}

export const SAMPLE_FEATURES = ['household', 'land', 'insurance', 'marriages', 'death', 'inconsistency'] as const;
export type SampleFeature = (typeof SAMPLE_FEATURES)[number];

export interface SampleOptions {
  communeCode?: string;
  limit?: number;
  /** Only citizens with every one of these. Without `death` or `inconsistency`, citizens who have
   *  died or carry a seeded disagreement are left out, so that samples make clean examples. */
  has?: SampleFeature[];
}

export interface SampleCitizen {
  personalId: string;
  communeCode: string;
  householdId: string | null;
  parcelIds: string[];
  insuranceCode: string | null;
  marriageCount: number;
  maritalStatus: MaritalStatus;
  lifeStatus: LifeStatus;
  inconsistencies: InconsistencyKind[];
}

/** Up to `limit` citizens (default 10), the best-documented first, then by personal ID. */
export function sampleCitizens(world: World, options: SampleOptions = {}): SampleCitizen[] {
  const wanted = new Set(options.has ?? []);
  const picked: { sample: SampleCitizen; richness: number }[] = [];
  for (const c of world.citizens.values()) {
    if (options.communeCode && c.communeCode !== options.communeCode) continue;
    const sample = summarise(world, c);
    const features: Record<SampleFeature, boolean> = {
      household: sample.householdId !== null,
      land: sample.parcelIds.length > 0,
      insurance: sample.insuranceCode !== null,
      marriages: sample.marriageCount > 0,
      death: sample.lifeStatus === 'DECEASED',
      inconsistency: sample.inconsistencies.length > 0,
    };
    // Clean examples: a residence not yet updated to a split old commune needs the split rule.
    if (c.recordedCommuneCode && isSplit(world.catalogue, c.recordedCommuneCode) && !wanted.has('inconsistency')) continue;
    if ((features.death && !wanted.has('death')) || (features.inconsistency && !wanted.has('inconsistency'))) continue;
    if ([...wanted].some((feature) => !features[feature])) continue;
    const richness = Number(features.household) + Number(features.land) + Number(features.insurance) + Number(features.marriages);
    picked.push({ sample, richness });
  }
  picked.sort((x, y) => y.richness - x.richness || (x.sample.personalId < y.sample.personalId ? -1 : 1));
  return picked.slice(0, options.limit ?? 10).map((p) => p.sample);
}

function summarise(world: World, c: Citizen): SampleCitizen {
  return {
    personalId: c.personalId,
    communeCode: c.communeCode,
    householdId: c.householdId,
    parcelIds: world.index.parcelsByOwner.get(c.personalId) ?? [],
    insuranceCode: world.insurance.get(c.personalId)?.insuranceCode ?? null,
    marriageCount: c.marriages.length,
    maritalStatus: c.maritalStatus,
    lifeStatus: lifeStatusOf(c),
    inconsistencies: (world.index.inconsistenciesByCitizen.get(c.personalId) ?? []).map((i) => i.kind),
  };
}
