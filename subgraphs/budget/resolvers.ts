import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { Budget, communeBudget, provinceBudget } from '../../sources/budget/aggregate';
import type { BudgetRow } from '../../sources/budget/client';
import type { Provenance } from '../../sources/kit/provenance';
import { badUserInput } from '../common/errors';
import { combineProvenance, provenanceResolvers } from '../common/provenance-resolvers';
import { requireCommuneCode, requireIntInRange, requireProvinceCode } from '../common/validate';
import { budgetKey, BudgetLoaders } from './loaders';
import { RevenueSharing, shareCommuneRevenue, SharingBasis, sumSharings } from './revenue-sharing';
import type { SharingRules } from './sharing-rules';

export interface BudgetContext {
  loaders: BudgetLoaders;
  /** The province's revenue-sharing rule table (BUDGET_RULES_FILE). */
  rules: SharingRules;
}

interface UnitRef {
  code: string;
}

interface BudgetArgs {
  fiscalYear: number;
}

/** A Budget as served: the sums, where they came from, and what revenue sharing needs (not in the schema). */
interface BudgetAnswer extends Budget {
  provenance: Provenance;
  sharingInput: { level: 'commune' | 'province'; communes: { code: string; rows: readonly BudgetRow[] }[] };
}

function requireFiscalYear(value: number): number {
  return requireIntInRange(value, 2000, 2100, 'fiscalYear');
}

function answer(budget: Budget | null, level: 'commune' | 'province', communes: BudgetAnswer['sharingInput']['communes'], ownRows: readonly BudgetRow[] = []): BudgetAnswer | null {
  if (!budget) return null;
  const rows = [...communes.flatMap((commune) => commune.rows), ...ownRows];
  return { ...budget, provenance: combineProvenance(rows.map((row) => row.provenance))!, sharingInput: { level, communes } };
}

/** The table's province and years must cover the budget asked about; otherwise the caller is told which table is configured. */
async function checkRulesApply(budget: BudgetAnswer, { loaders, rules }: BudgetContext): Promise<void> {
  const { from, to } = rules.fiscalYears;
  if (budget.fiscalYear < from || budget.fiscalYear > to) {
    throw badUserInput(`No revenue-sharing rules for fiscal year ${budget.fiscalYear}: the configured table covers ${from}–${to}`, 'fiscalYear');
  }
  const provinceCode = budget.sharingInput.level === 'province' ? budget.unitCode : (await loaders.commune.load(budget.unitCode))?.provinceCode;
  if (provinceCode !== rules.province) {
    throw badUserInput(`No revenue-sharing rules for this unit: the configured table is province ${rules.province}'s`, 'code');
  }
}

export const resolvers: GraphQLResolverMap<BudgetContext> = {
  Commune: {
    __resolveReference: (ref: UnitRef) => ({ code: ref.code }),
    budget: async (commune: UnitRef, args: BudgetArgs, { loaders }: BudgetContext) => {
      const fiscalYear = requireFiscalYear(args.fiscalYear);
      const code = requireCommuneCode(commune.code);
      const rows = await loaders.rows.load(budgetKey(fiscalYear, code));
      return answer(communeBudget(code, fiscalYear, rows), 'commune', [{ code, rows: rows ?? [] }]);
    },
  },
  Province: {
    __resolveReference: (ref: UnitRef) => ({ code: ref.code }),
    budget: async (province: UnitRef, args: BudgetArgs, { loaders }: BudgetContext) => {
      const fiscalYear = requireFiscalYear(args.fiscalYear);
      const code = requireProvinceCode(province.code);
      const found = await loaders.province.load(code);
      if (!found) throw badUserInput('Unknown province code', 'code');
      // All asked for in the same tick, communes first, so the province's own lines ride in the
      // last commune export when it has room.
      const [communeRows, ownRows] = await Promise.all([
        Promise.all(found.communes.map((commune) => loaders.rows.load(budgetKey(fiscalYear, commune.code)))),
        loaders.rows.load(budgetKey(fiscalYear, code)),
      ]);
      const communes = found.communes.map((commune, i) => ({ code: commune.code, rows: communeRows[i] ?? [] }));
      return answer(provinceBudget(code, fiscalYear, communeRows, ownRows), 'province', communes, ownRows ?? []);
    },
  },
  Budget: {
    revenueSharing: async (budget: BudgetAnswer, args: { basis: SharingBasis }, context: BudgetContext): Promise<RevenueSharing> => {
      await checkRulesApply(budget, context);
      const { rules } = context;
      const sharings = budget.sharingInput.communes.map((commune) => shareCommuneRevenue(rules, commune.code, commune.rows, args.basis));
      return budget.sharingInput.level === 'commune' ? sharings[0] : sumSharings(rules, args.basis, sharings);
    },
  },
  Provenance: provenanceResolvers,
};
