/**
 * The indicators of one commune, each computed over source data on first request and kept for
 * INDICATORS_CACHE_TTL_S, and a province's as the sum of its communes. What each costs:
 *  - population, households: the commune's residents, page by page (100 per population call);
 *  - insurance coverage: one BHXH call per resident (BHXH takes one ID per call), at most
 *    `concurrency` in flight, each answer through the source cache, and never more per request
 *    than INDICATORS_MAX_INSURANCE_LOOKUPS: past that the field is refused before any call, not
 *    answered from a sample;
 *  - civil-status events: one statistics call per commune and range of months;
 *  - land parcels: one land call per commune (the count of a commune search);
 *  - budget execution: the treasury exports (50 units per call).
 */
import { GraphQLError } from 'graphql';
import pLimit from 'p-limit';
import { communeBudget, provinceBudget, type Budget } from '../../sources/budget/aggregate';
import type { MonthlyRegistrations } from '../../sources/civil-status/statistics';
import { todayInVietnam } from '../../sources/kit/dates';
import { Kept } from '../common/kept';
import type { IndicatorClients, IndicatorFetches } from './loaders';

export interface ResidentsSummary {
  population: number;
  households: number;
  personalIds: string[];
}

export interface Coverage {
  residents: number;
  activeSocialInsurance: number;
  validHealthCard: number;
  lookups: number;
  computedAt: string;
}

export interface IndicatorOptions {
  ttlMs: number;
  /** Calls in flight at once to a source, per computation. */
  concurrency: number;
}

/** BHXH look-ups one request may still make; shared by every field of the request. */
export class LookupAllowance {
  constructor(private left: number) {}

  take(count: number, what: string): void {
    if (count > this.left) {
      throw new GraphQLError(
        `Not computed: ${what} needs ${count} more BHXH look-ups (one person per call), more than this request may make (${this.left} left of INDICATORS_MAX_INSURANCE_LOOKUPS). Ask per commune: each result is kept, and then costs none.`,
        { extensions: { code: 'SOURCE_QUOTA_EXCEEDED', source: 'social-insurance' } },
      );
    }
    this.left -= count;
  }
}

const RESIDENTS_PAGE = 100;

export class CommuneIndicators {
  private readonly residentsKept: Kept<ResidentsSummary>;
  private readonly coverageKept: Kept<Coverage>;
  private readonly eventsKept: Kept<MonthlyRegistrations[]>;
  private readonly parcelsKept: Kept<{ count: number }>;

  constructor(
    private readonly clients: IndicatorClients,
    private readonly fetches: IndicatorFetches,
    private readonly options: IndicatorOptions,
  ) {
    this.residentsKept = new Kept(options.ttlMs, 4000);
    this.coverageKept = new Kept(options.ttlMs, 4000);
    this.eventsKept = new Kept(options.ttlMs, 4000);
    this.parcelsKept = new Kept(options.ttlMs, 4000);
  }

  /** Residents as population lists them: the count, their households, and their IDs (for BHXH). */
  residents(communeCode: string): Promise<ResidentsSummary> {
    return this.residentsKept.get(communeCode, async () => {
      const personalIds: string[] = [];
      const households = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = await this.clients.population.getResidents(communeCode, RESIDENTS_PAGE, cursor);
        if (!page) break; // the catalogue lists the commune; population has no one there
        for (const citizen of page.citizens) {
          personalIds.push(citizen.personalId);
          if (citizen.householdId) households.add(citizen.householdId);
        }
        cursor = page.hasNextPage ? page.endCursor : null;
      } while (cursor);
      return { population: personalIds.length, households: households.size, personalIds };
    });
  }

  /** Whether the commune's coverage is kept (and would cost no BHXH call). */
  hasCoverage(communeCode: string): boolean {
    return this.coverageKept.has(communeCode);
  }

  /** Insurance coverage of the residents; the allowance is charged before the first call. */
  async coverage(communeCode: string, allowance: LookupAllowance): Promise<Coverage> {
    if (!this.coverageKept.has(communeCode)) {
      const { personalIds } = await this.residents(communeCode);
      allowance.take(personalIds.length, `the insurance coverage of commune ${communeCode}`);
    }
    return this.coverageKept.get(communeCode, async () => {
      const { personalIds } = await this.residents(communeCode);
      const limit = pLimit(this.options.concurrency);
      const today = todayInVietnam();
      let active = 0;
      let validCard = 0;
      await Promise.all(
        personalIds.map((id) =>
          limit(async () => {
            const record = await this.fetches.participant(id);
            if (record?.status === 'ACTIVE') active++;
            const card = record?.healthInsuranceCard;
            if (card && card.validFrom <= today && today <= card.validTo) validCard++;
          }),
        ),
      );
      return { residents: personalIds.length, activeSocialInsurance: active, validHealthCard: validCard, lookups: personalIds.length, computedAt: new Date().toISOString() };
    });
  }

  /** Births, marriages and deaths the commune registered each month from `fromMonth` to `toMonth`. */
  events(communeCode: string, fromMonth: string, toMonth: string): Promise<MonthlyRegistrations[]> {
    return this.eventsKept.get(`${communeCode}:${fromMonth}:${toMonth}`, async () => {
      const statistics = await this.clients.civilStatusStatistics.getRegistrationStatistics(communeCode, fromMonth, toMonth);
      return statistics?.months ?? [];
    });
  }

  async landParcels(communeCode: string): Promise<number> {
    return (await this.parcelsKept.get(communeCode, async () => ({ count: await this.clients.land.countInCommune(communeCode) }))).count;
  }

  /** A commune's budget for the year, or a province's (its communes plus its own lines); null without data. */
  async budget(unit: { communeCode: string } | { provinceCode: string; communeCodes: string[] }, fiscalYear: number): Promise<Budget | null> {
    if ('communeCode' in unit) {
      const rows = await this.fetches.budgetRows(fiscalYear, [unit.communeCode]);
      return communeBudget(unit.communeCode, fiscalYear, rows.get(unit.communeCode) ?? null);
    }
    const rows = await this.fetches.budgetRows(fiscalYear, [...unit.communeCodes, unit.provinceCode]);
    return provinceBudget(unit.provinceCode, fiscalYear, unit.communeCodes.map((code) => rows.get(code) ?? null), rows.get(unit.provinceCode) ?? null);
  }
}

/** `count` of `total` in percent, two decimals; null when there is no one. */
export function share(count: number, total: number): number | null {
  return total === 0 ? null : Math.round((count / total) * 10_000) / 100;
}

/** The `months` months ending with `to` (`YYYY-MM`), first and last. */
export function monthRange(to: string, months: number): { from: string; to: string } {
  const [year, month] = to.split('-').map(Number);
  const index = year * 12 + (month - 1) - (months - 1);
  return { from: `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`, to };
}
