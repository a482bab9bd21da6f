import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { badUserInput } from '../common/errors';
import { requireCommuneCode, requireIntInRange, requireProvinceCode } from '../common/validate';
import { communeBudget, provinceBudget } from './aggregate';
import { budgetKey, BudgetLoaders } from './loaders';

export interface BudgetContext {
  loaders: BudgetLoaders;
}

interface UnitRef {
  code: string;
}

interface BudgetArgs {
  fiscalYear: number;
}

function requireFiscalYear(value: number): number {
  return requireIntInRange(value, 2000, 2100, 'fiscalYear');
}

export const resolvers: GraphQLResolverMap<BudgetContext> = {
  Commune: {
    __resolveReference: (ref: UnitRef) => ({ code: ref.code }),
    budget: async (commune: UnitRef, args: BudgetArgs, { loaders }: BudgetContext) => {
      const fiscalYear = requireFiscalYear(args.fiscalYear);
      const code = requireCommuneCode(commune.code);
      return communeBudget(code, fiscalYear, await loaders.rows.load(budgetKey(fiscalYear, code)));
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
      return provinceBudget(code, fiscalYear, communeRows, ownRows);
    },
  },
};
