/**
 * The source answers the indicators need, through the subgraph's source caches: a person's BHXH
 * record (one per call), a unit's budget rows (up to 50 units per export), and the catalogue (with
 * the old units and the conversion table).
 */
import type { UnitConversion } from '../../lib/admin-units';
import { BUDGET_MAX_UNITS, type BudgetRow } from '../../sources/budget/client';
import { communeLookup, type ProvinceWithCommunes, type CommuneRecord } from '../../sources/catalogue/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import type { InsuranceRecord } from '../../sources/social-insurance/client';
import { everyAnswer } from '../common/errors';
import { chunks, LoaderSources } from '../common/loaders';

/** The sources the indicators read; the subgraph owns none of them. */
export const INDICATOR_CLIENTS = ['population', 'civilStatusStatistics', 'land', 'socialInsurance', 'budget', 'catalogue'] as const;
export type IndicatorClients = SourceClients<(typeof INDICATOR_CLIENTS)[number]>;

export interface IndicatorCaches {
  socialInsurance: SourceCache;
  budget: SourceCache;
  catalogue: SourceCache;
}

export interface IndicatorFetches {
  participant(personalId: string): Promise<InsuranceRecord | null>;
  /** Each unit's rows for the year (province codes give the province's own lines). */
  budgetRows(fiscalYear: number, unitCodes: readonly string[]): Promise<Map<string, BudgetRow[]>>;
  province(code: string): Promise<ProvinceWithCommunes | null>;
  commune(code: string): Promise<CommuneRecord | null>;
  /** The old units and the conversion table (kept by the catalogue client). */
  conversion(): Promise<UnitConversion>;
}

export function cachedFetches({ clients, caches }: LoaderSources<IndicatorClients, IndicatorCaches>): IndicatorFetches {
  const participant = caches.socialInsurance.one('participant', (id) => clients.socialInsurance.getParticipant(id));
  const province = caches.catalogue.one('province', (code) => clients.catalogue.getProvince(code));
  const communes = communeLookup(clients.catalogue, caches.catalogue);
  return {
    participant,
    async budgetRows(fiscalYear, unitCodes) {
      const rows = new Map<string, BudgetRow[]>();
      const exportRows = caches.budget.batch(`rows:${fiscalYear}`, (units) => clients.budget.exportBudgets(fiscalYear, units));
      const exports: Promise<void>[] = [];
      for (const units of chunks(unitCodes, BUDGET_MAX_UNITS)) {
        exports.push(
          everyAnswer(exportRows(units)).then((found) => {
            for (const [unit, unitRows] of found) rows.set(unit, unitRows);
          }),
        );
      }
      await Promise.all(exports);
      return rows;
    },
    province,
    conversion: () => clients.catalogue.getUnitConversion(),
    async commune(code) {
      return (await everyAnswer(communes([code]))).get(code) ?? null;
    },
  };
}
