/**
 * What the benchmark asks, as the product's callers would:
 *  - dossier: a TTHC officer's citizen dossier across every source subgraph, citizens drawn
 *    Zipf-like from the whole world (a few often, most rarely);
 *  - household: a household of up to 10 members with every member's civil status and insurance;
 *  - budget: a province's budget aggregated over all its communes (Bắc Ninh, 24: 99 communes);
 *  - cold: the dossier with caches emptied first and every citizen asked about once, so every
 *    personal answer is a cache miss.
 */
import type { World } from '../mocks';
import { eachOnce, zipfSampler } from './zipf';

export const WORKLOADS = ['dossier', 'household', 'budget', 'cold'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const DOSSIER_QUERY = `query Dossier($id: ID!) {
  citizen(personalId: $id) {
    personalId fullName dateOfBirth gender
    permanentResidence {
      address
      commune { code name province { name } budget(fiscalYear: 2026) { revenue { totalActual } expenditure { totalActual } balance } }
    }
    household { householdId head { fullName } members { relationToHead citizen { fullName } } }
    civilStatus { maritalStatus birth { registrationNumber registeredOn } marriages { spouseName status registeredOn endedOn } death { dateOfDeath } }
    landRights { certificateNumber share parcel { parcelId mapSheet parcelNumber area landUseType } }
    socialInsurance { insuranceCode status healthInsuranceCard { cardNumber validTo isValid } }
  }
}`;

export const HOUSEHOLD_QUERY = `query Household($id: ID!) {
  household(householdId: $id) {
    householdId address head { fullName }
    members {
      relationToHead
      citizen {
        personalId fullName dateOfBirth
        civilStatus { maritalStatus marriages { status registeredOn } death { dateOfDeath } }
        socialInsurance { insuranceCode status healthInsuranceCard { cardNumber validTo isValid } }
      }
    }
  }
}`;

export const BUDGET_PROVINCE = '24';
export const BUDGET_QUERY = `query ProvinceBudget($code: ID!) {
  province(code: $code) {
    code name
    budget(fiscalYear: 2026) {
      communeCount balance
      revenue { totalEstimate totalActual percentOfEstimate }
      expenditure { totalEstimate totalActual percentOfEstimate }
    }
  }
}`;

export interface Workload {
  name: WorkloadName;
  /** The next request body (JSON). */
  nextBody(): string;
}

/** Draws are seeded: every gateway is asked the same sequence of questions. */
export function createWorkload(name: WorkloadName, world: World, zipfExponent: number, seed: number): Workload {
  const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  switch (name) {
    case 'dossier': {
      const pick = zipfSampler([...world.citizens.keys()], zipfExponent, seed);
      return { name, nextBody: () => body(DOSSIER_QUERY, { id: pick() }) };
    }
    case 'cold': {
      const pick = eachOnce([...world.citizens.keys()], seed);
      return { name, nextBody: () => body(DOSSIER_QUERY, { id: pick() }) };
    }
    case 'household': {
      const households = [...world.households.values()].filter((h) => h.members.length <= 10).map((h) => h.householdId);
      const pick = zipfSampler(households, zipfExponent, seed);
      return { name, nextBody: () => body(HOUSEHOLD_QUERY, { id: pick() }) };
    }
    case 'budget':
      return { name, nextBody: () => body(BUDGET_QUERY, { code: BUDGET_PROVINCE }) };
  }
}
