/**
 * Per-request loaders. The treasury exports one fiscal year for up to 50 units per call, so unit
 * lookups are keyed `${fiscalYear}:${unitCode}`, grouped by year and cut into exports of at most 50
 * units; a province's communes and its own lines all go through this one loader, so they share
 * exports. A failed export fails only the keys it carried.
 */
import DataLoader from 'dataloader';
import { BUDGET_MAX_UNITS, BudgetRow } from '../../sources/budget/client';
import { CATALOGUE_MAX_BATCH, communeLookup, type CommuneRecord, type ProvinceWithCommunes } from '../../sources/catalogue/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import { toGraphQLError } from '../common/errors';
import { batchLoader, chunks, LoaderSources, singleLoader } from '../common/loaders';

export interface BudgetLoaders {
  /** A unit's rows for a year, keyed by budgetKey(); null when the export has none. */
  rows: DataLoader<string, BudgetRow[] | null>;
  /** A province and its communes from the catalogue; null for an unknown code. */
  province: DataLoader<string, ProvinceWithCommunes | null>;
  /** A commune from the catalogue (for its province, when revenue sharing is asked); null for an unknown code. */
  commune: DataLoader<string, CommuneRecord | null>;
}

export function budgetKey(fiscalYear: number, unitCode: string): string {
  return `${fiscalYear}:${unitCode}`;
}

/** The exports that cover `keys`: per year, units in the order asked, at most BUDGET_MAX_UNITS each. */
export function planExports(keys: readonly string[]): { fiscalYear: number; unitCodes: string[] }[] {
  const byYear = new Map<number, string[]>();
  for (const key of keys) {
    const separator = key.indexOf(':');
    const fiscalYear = Number(key.slice(0, separator));
    const units = byYear.get(fiscalYear) ?? [];
    units.push(key.slice(separator + 1));
    byYear.set(fiscalYear, units);
  }
  const exports: { fiscalYear: number; unitCodes: string[] }[] = [];
  for (const [fiscalYear, units] of byYear) {
    for (const unitCodes of chunks(units, BUDGET_MAX_UNITS)) exports.push({ fiscalYear, unitCodes });
  }
  return exports;
}

export const BUDGET_CLIENTS = ['budget', 'catalogue'] as const;
export type BudgetClients = SourceClients<(typeof BUDGET_CLIENTS)[number]>;

export interface BudgetCaches {
  budget: SourceCache;
  catalogue: SourceCache;
}

export function createLoaders({ clients, caches, concurrency }: LoaderSources<BudgetClients, BudgetCaches>): BudgetLoaders {
  const { budget, catalogue } = clients;
  // Cached per unit and year; only the units not in the cache go into an export.
  const exportRows = (fiscalYear: number, unitCodes: string[]) =>
    caches.budget.batch(`rows:${fiscalYear}`, (units) => budget.exportBudgets(fiscalYear, units))(unitCodes);
  const rows = new DataLoader<string, BudgetRow[] | null>(async (keys) => {
    const results = new Map<string, BudgetRow[] | Error | null>();
    await Promise.all(
      planExports(keys).map(async ({ fiscalYear, unitCodes }) => {
        try {
          const found = await exportRows(fiscalYear, unitCodes);
          for (const unit of unitCodes) {
            const value = found.get(unit);
            results.set(budgetKey(fiscalYear, unit), value instanceof Error ? toGraphQLError(value) : (value ?? null));
          }
        } catch (error) {
          const graphqlError = toGraphQLError(error);
          for (const unit of unitCodes) results.set(budgetKey(fiscalYear, unit), graphqlError);
        }
      }),
    );
    return keys.map((key) => results.get(key) ?? null);
  });
  const province = singleLoader(concurrency, caches.catalogue.one('province', (code) => catalogue.getProvince(code)));
  const commune = batchLoader(CATALOGUE_MAX_BATCH, communeLookup(catalogue, caches.catalogue));
  return { rows, province, commune };
}
