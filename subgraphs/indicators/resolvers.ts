import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';
import pLimit from 'p-limit';
import { judgeJurisdiction, Principal } from '../../lib/principal';
import { percentOfEstimate } from '../../sources/budget/aggregate';
import { STATISTICS_MAX_MONTHS } from '../../sources/civil-status/statistics';
import { todayInVietnam } from '../../sources/kit/dates';
import { badUserInput, toGraphQLError } from '../common/errors';
import { requireCommuneCode, requireIntInRange, requireProvinceCode } from '../common/validate';
import { CommuneIndicators, LookupAllowance, monthRange, share } from './compute';
import { placedEvents } from './old-units';
import type { IndicatorFetches } from './loaders';

export interface IndicatorsContext {
  indicators: CommuneIndicators;
  fetches: IndicatorFetches;
  /** BHXH look-ups this request may still make. */
  allowance: LookupAllowance;
  principal: Principal;
}

/** The unit the indicators are about, and the communes they add up. */
interface Unit {
  unitCode: string;
  provinceCode: string | null;
  communeCodes: string[];
}

/** Communes worked on at once for one field of a province. */
const COMMUNES_AT_ONCE = 4;

function outside(): GraphQLError {
  return new GraphQLError("Not allowed: indicators are served only inside the caller's jurisdiction", {
    extensions: { code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' },
  });
}

/** `perCommune` for every commune of the unit, a few at a time; a source's failure becomes the field's error. */
async function eachCommune<T>(unit: Unit, perCommune: (code: string) => Promise<T>): Promise<T[]> {
  const limit = pLimit(COMMUNES_AT_ONCE);
  try {
    return await Promise.all(unit.communeCodes.map((code) => limit(() => perCommune(code))));
  } catch (error) {
    throw toGraphQLError(error);
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

interface EventsArgs {
  to?: string | null;
  months: number;
}

/**
 * Registrations per month over the unit's communes, old units placed in today's ones; a split old
 * commune's acts, unplaced, once per old code even when several of the unit's communes share it.
 */
async function eventsInTodaysUnits(unit: Unit, args: EventsArgs, { indicators, fetches }: IndicatorsContext) {
  const months = requireIntInRange(args.months, 1, STATISTICS_MAX_MONTHS, 'months');
  const to = args.to ?? todayInVietnam().slice(0, 7);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(to)) throw badUserInput('Invalid to: expected a month as YYYY-MM', 'to');
  const range = monthRange(to, months);
  const conversion = await fetches.conversion().catch((error: unknown) => {
    throw toGraphQLError(error);
  });
  const byMonth = new Map<string, { month: string; births: number; marriages: number; deaths: number }>();
  const unplaced = new Map<string, number>();
  for (const placed of await eachCommune(unit, (code) => placedEvents(code, conversion, range, (c, from, last) => indicators.events(c, from, last)))) {
    for (const row of placed.months) {
      const total = byMonth.get(row.month) ?? { month: row.month, births: 0, marriages: 0, deaths: 0 };
      total.births += row.births;
      total.marriages += row.marriages;
      total.deaths += row.deaths;
      byMonth.set(row.month, total);
    }
    for (const [code, count] of placed.unplaced) unplaced.set(code, count);
  }
  return { months: [...byMonth.values()].sort((a, b) => (a.month < b.month ? -1 : 1)), unplaced };
}

export const resolvers: GraphQLResolverMap<IndicatorsContext> = {
  Commune: {
    __resolveReference: (ref: { code: string }) => ({ code: ref.code }),
    indicators: async (ref: { code: string }, _args: unknown, { fetches, principal }: IndicatorsContext): Promise<Unit> => {
      const code = requireCommuneCode(ref.code);
      const commune = await fetches.commune(code).catch((error: unknown) => {
        throw toGraphQLError(error);
      });
      if (!commune) throw badUserInput('Unknown code: there is no commune with that code', 'code');
      if (judgeJurisdiction(principal, { provinceCode: commune.provinceCode, communeCode: code }) !== 'inside') throw outside();
      return { unitCode: code, provinceCode: null, communeCodes: [code] };
    },
  },
  Province: {
    __resolveReference: (ref: { code: string }) => ({ code: ref.code }),
    indicators: async (ref: { code: string }, _args: unknown, { fetches, principal }: IndicatorsContext): Promise<Unit> => {
      const code = requireProvinceCode(ref.code);
      const province = await fetches.province(code).catch((error: unknown) => {
        throw toGraphQLError(error);
      });
      if (!province) throw badUserInput('Unknown code: there is no province with that code', 'code');
      // A province's totals include every commune: the caller's jurisdiction must cover them all.
      if (!principal.jurisdiction.national && !principal.jurisdiction.provinces.has(code)) throw outside();
      return { unitCode: code, provinceCode: code, communeCodes: province.communes.map((commune) => commune.code) };
    },
  },
  Indicators: {
    communeCount: (unit: Unit) => unit.communeCodes.length,
    population: async (unit: Unit, _args: unknown, { indicators }: IndicatorsContext) =>
      sum((await eachCommune(unit, (code) => indicators.residents(code))).map((r) => r.population)),
    households: async (unit: Unit, _args: unknown, { indicators }: IndicatorsContext) =>
      sum((await eachCommune(unit, (code) => indicators.residents(code))).map((r) => r.households)),
    insuranceCoverage: async (unit: Unit, _args: unknown, { indicators, allowance }: IndicatorsContext) => {
      // Every commune's residents first, so the whole cost is known (and refused whole) before any BHXH call.
      const residents = await eachCommune(unit, (code) => indicators.residents(code));
      const needed = sum(unit.communeCodes.map((code, i) => (indicators.hasCoverage(code) ? 0 : residents[i].population)));
      allowance.take(needed, `the insurance coverage of ${unit.unitCode}`);
      const free = new LookupAllowance(Number.MAX_SAFE_INTEGER);
      const parts = await eachCommune(unit, (code) => indicators.coverage(code, free));
      const total = { residents: sum(parts.map((p) => p.residents)), active: sum(parts.map((p) => p.activeSocialInsurance)), valid: sum(parts.map((p) => p.validHealthCard)) };
      return {
        residents: total.residents,
        activeSocialInsurance: total.active,
        activeShare: share(total.active, total.residents),
        validHealthCard: total.valid,
        validHealthCardShare: share(total.valid, total.residents),
        lookups: sum(parts.map((p) => p.lookups)),
        computedAt: parts.map((p) => p.computedAt).sort()[0] ?? new Date().toISOString(),
      };
    },
    civilStatusEvents: async (unit: Unit, args: EventsArgs, context: IndicatorsContext) => (await eventsInTodaysUnits(unit, args, context)).months,
    civilStatusUnplaced: async (unit: Unit, args: EventsArgs, context: IndicatorsContext) => {
      const { unplaced } = await eventsInTodaysUnits(unit, args, context);
      const codes = [...unplaced.keys()].sort();
      return { count: sum(codes.map((code) => unplaced.get(code)!)), codes };
    },
    landParcels: async (unit: Unit, _args: unknown, { indicators }: IndicatorsContext) => sum(await eachCommune(unit, (code) => indicators.landParcels(code))),
    budgetExecution: async (unit: Unit, args: { fiscalYear: number }, { indicators }: IndicatorsContext) => {
      const fiscalYear = requireIntInRange(args.fiscalYear, 2000, 2100, 'fiscalYear');
      const budget = await indicators
        .budget(unit.provinceCode ? { provinceCode: unit.provinceCode, communeCodes: unit.communeCodes } : { communeCode: unit.unitCode }, fiscalYear)
        .catch((error: unknown) => {
          throw toGraphQLError(error);
        });
      if (!budget) return null;
      return {
        fiscalYear,
        revenueEstimate: budget.revenue.totalEstimate,
        revenueActual: budget.revenue.totalActual,
        revenuePercent: percentOfEstimate(budget.revenue.totalActual, budget.revenue.totalEstimate),
        expenditureEstimate: budget.expenditure.totalEstimate,
        expenditureActual: budget.expenditure.totalActual,
        expenditurePercent: percentOfEstimate(budget.expenditure.totalActual, budget.expenditure.totalEstimate),
      };
    },
  },
};
