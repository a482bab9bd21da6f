/**
 * The dossier a commune desk asks for, one part per source, and what each part should hold
 * according to the mocks' world: shared by the fault, leak and load suites.
 */
import type { Citizen, World } from '../mocks';
import type { SourceName } from '../lib/sources';

/** Identity, household, civil status, land, insurance and the commune's budget in one query. */
export const DOSSIER_QUERY = `query Dossier($id: ID!) { citizen(personalId: $id) {
  personalId fullName dateOfBirth
  permanentResidence { address commune { code name budget(fiscalYear: 2026) { revenue { totalEstimate } } } }
  household { householdId }
  civilStatus { maritalStatus birth { registrationNumber } }
  landRights { certificateNumber parcel { parcelId } }
  socialInsurance { insuranceCode }
} }`;

export interface DossierAnswer {
  personalId: string;
  fullName: string;
  dateOfBirth: string;
  permanentResidence: { address: string; commune: { code: string; name: string; budget: { revenue: { totalEstimate: number } } | null } | null };
  household: { householdId: string } | null;
  civilStatus: { maritalStatus: string; birth: { registrationNumber: string } | null } | null;
  landRights: { certificateNumber: string; parcel: { parcelId: string } }[] | null;
  socialInsurance: { insuranceCode: string } | null;
}

/** The sources a dossier reads, and where in the answer each one's part is. */
export const DOSSIER_PARTS = {
  'civil-status': ['citizen', 'civilStatus'],
  land: ['citizen', 'landRights'],
  'social-insurance': ['citizen', 'socialInsurance'],
  budget: ['citizen', 'permanentResidence', 'commune', 'budget'],
} as const satisfies Partial<Record<SourceName, readonly string[]>>;

/** Living citizens with a household, land, insurance and a marriage, on whom the sources agree. */
export function richCitizens(world: World, count: number): Citizen[] {
  const found: Citizen[] = [];
  for (const citizen of world.citizens.values()) {
    if (
      !citizen.death &&
      !citizen.populationStale &&
      citizen.householdId &&
      citizen.marriages.length > 0 &&
      world.index.parcelsByOwner.has(citizen.personalId) &&
      world.insurance.has(citizen.personalId)
    ) {
      found.push(citizen);
      if (found.length === count) break;
    }
  }
  return found;
}

/** Each source's part of the dossier as the world holds it (population's as population says it). */
export function expectedParts(world: World, citizen: Citizen) {
  const revenue = (world.budgets.get(citizen.communeCode)?.get(2026) ?? []).filter((line) => line.section === 'REVENUE');
  return {
    population: { personalId: citizen.personalId, fullName: citizen.populationStale?.fullName ?? citizen.fullName, communeCode: citizen.communeCode },
    'civil-status': { registrationNumber: citizen.birth.registrationNumber },
    land: { parcelIds: [...(world.index.parcelsByOwner.get(citizen.personalId) ?? [])].sort() },
    'social-insurance': { insuranceCode: world.insurance.get(citizen.personalId)?.insuranceCode ?? null },
    budget: { totalEstimate: revenue.reduce((sum, line) => sum + line.estimateVnd, 0) },
  };
}

/** Each source's part of a dossier answer, in the shape `expectedParts` gives (null where absent). */
export function answeredParts(answer: DossierAnswer) {
  return {
    population: { personalId: answer.personalId, fullName: answer.fullName, communeCode: answer.permanentResidence.commune?.code },
    'civil-status': answer.civilStatus && { registrationNumber: answer.civilStatus.birth?.registrationNumber },
    land: answer.landRights && { parcelIds: answer.landRights.map((right) => right.parcel.parcelId).sort() },
    'social-insurance': answer.socialInsurance && { insuranceCode: answer.socialInsurance.insuranceCode },
    budget: answer.permanentResidence.commune?.budget ? { totalEstimate: answer.permanentResidence.commune.budget.revenue.totalEstimate } : null,
  };
}
