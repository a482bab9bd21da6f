/**
 * Revenue sharing by the province's rule table, kept apart from I/O so that every case can be
 * checked by hand: each revenue line of a commune's export is split between the province and the
 * commune by its item's rule, then each capped item's commune share is held to its cap (the excess
 * goes to the province). Amounts are whole đồng; a split rounds the commune's part half away from
 * zero and gives the province the rest, so the two always add up to the line.
 */
import type { BudgetRow } from '../../sources/budget/client';
import type { SharingRule, SharingRules } from './sharing-rules';

/** Which amount of a line is shared: the year's estimate (dự toán) or the actual to date. */
export type SharingBasis = 'ESTIMATE' | 'ACTUAL';

export interface ShareLine {
  itemCode: string;
  itemName: string;
  amount: number;
  provinceShare: number;
  communeShare: number;
  rule: SharingRule;
  /** The commune's percentage by the rule; null in a province's total when communes' percentages differ. */
  communePercent: number | null;
  placeholder: boolean;
}

export interface CapApplied {
  communeCode: string;
  itemCode: string;
  itemName: string;
  cap: number;
  communeShareBeforeCap: number;
  communeShareAfterCap: number;
  movedToProvince: number;
}

export interface RevenueSharing {
  rules: string;
  basis: SharingBasis;
  lines: ShareLine[];
  totals: { amount: number; provinceShare: number; communeShare: number };
  capsApplied: CapApplied[];
  /** Revenue items of the export that the table has no rule for: left out of the sharing, to be fixed in the table. */
  unmatchedItemCodes: string[];
  hasPlaceholders: boolean;
}

const RULE_PERCENT: Partial<Record<SharingRule, number>> = { PROVINCE: 0, COMMUNE: 100 };

/** `amount × percent / 100`, rounded half away from zero, exactly (percentages to two decimals). */
export function percentOf(amount: number, percent: number): number {
  const hundredths = BigInt(Math.round(percent * 100));
  const product = BigInt(amount) * hundredths;
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  const rounded = (magnitude + 5_000n) / 10_000n;
  return Number(negative ? -rounded : rounded);
}

/** One commune's revenue lines for a year, split by the rules. */
export function shareCommuneRevenue(rules: SharingRules, communeCode: string, rows: readonly BudgetRow[], basis: SharingBasis): RevenueSharing {
  const byItem = new Map<string, { itemName: string; amount: number }>();
  const unmatched = new Set<string>();
  for (const row of rows) {
    if (row.section !== 'THU' || rules.notShared.has(row.itemCode)) continue;
    if (!rules.items.has(row.itemCode)) {
      unmatched.add(row.itemCode);
      continue;
    }
    const amount = basis === 'ESTIMATE' ? row.estimate : row.actual;
    const line = byItem.get(row.itemCode);
    if (line) line.amount += amount;
    else byItem.set(row.itemCode, { itemName: row.itemName, amount });
  }

  const lines: ShareLine[] = [];
  for (const [itemCode, { itemName, amount }] of byItem) {
    const item = rules.items.get(itemCode)!;
    const percent = RULE_PERCENT[item.rule] ?? (item.rule === 'SHARED' ? item.communePercent! : rules.communePercent(communeCode));
    const communeShare = percentOf(amount, percent);
    lines.push({ itemCode, itemName, amount, provinceShare: amount - communeShare, communeShare, rule: item.rule, communePercent: percent, placeholder: item.placeholder });
  }
  const capsApplied = rules.caps.flatMap((cap) => applyCap(cap, lines, communeCode) ?? []);
  return {
    rules: rules.name,
    basis,
    lines,
    totals: totalsOf(lines),
    capsApplied,
    unmatchedItemCodes: [...unmatched].sort(),
    hasPlaceholders: rules.hasPlaceholders,
  };
}

/**
 * Holds the commune's share of a capped item's kinds to the cap: the excess is taken from the
 * kinds in proportion to their commune shares (largest remainders get the odd đồng, first line
 * first on a tie) and moved to the province. Null when the cap does not bite.
 */
function applyCap(cap: SharingRules['caps'][number], lines: ShareLine[], communeCode: string): CapApplied | null {
  const capped = lines.filter((line) => cap.kindCodes.has(line.itemCode) && line.communeShare > 0);
  const before = capped.reduce((sum, line) => sum + line.communeShare, 0);
  if (before <= cap.capVnd) return null;
  const excess = BigInt(before - cap.capVnd);
  const total = BigInt(before);
  const cuts = capped.map((line, index) => {
    const scaled = excess * BigInt(line.communeShare);
    return { line, index, cut: scaled / total, remainder: scaled % total };
  });
  let left = excess - cuts.reduce((sum, c) => sum + c.cut, 0n);
  for (const c of [...cuts].sort((a, b) => (b.remainder > a.remainder ? 1 : b.remainder < a.remainder ? -1 : a.index - b.index))) {
    if (left === 0n) break;
    c.cut += 1n;
    left -= 1n;
  }
  for (const { line, cut } of cuts) {
    line.communeShare -= Number(cut);
    line.provinceShare += Number(cut);
  }
  return {
    communeCode,
    itemCode: cap.itemCode,
    itemName: cap.itemName,
    cap: cap.capVnd,
    communeShareBeforeCap: before,
    communeShareAfterCap: cap.capVnd,
    movedToProvince: before - cap.capVnd,
  };
}

function totalsOf(lines: readonly ShareLine[]): RevenueSharing['totals'] {
  const totals = { amount: 0, provinceShare: 0, communeShare: 0 };
  for (const line of lines) {
    totals.amount += line.amount;
    totals.provinceShare += line.provinceShare;
    totals.communeShare += line.communeShare;
  }
  return totals;
}

/**
 * A province's sharing: its communes' sharings added by item code, each commune capped on its
 * own. The province's own lines are the province's and take no part in sharing.
 */
export function sumSharings(rules: SharingRules, basis: SharingBasis, communes: readonly RevenueSharing[]): RevenueSharing {
  const byItem = new Map<string, ShareLine>();
  for (const sharing of communes) {
    for (const line of sharing.lines) {
      const sum = byItem.get(line.itemCode);
      if (!sum) {
        byItem.set(line.itemCode, { ...line });
        continue;
      }
      sum.amount += line.amount;
      sum.provinceShare += line.provinceShare;
      sum.communeShare += line.communeShare;
      if (sum.communePercent !== line.communePercent) sum.communePercent = null;
    }
  }
  const lines = [...byItem.values()];
  return {
    rules: rules.name,
    basis,
    lines,
    totals: totalsOf(lines),
    capsApplied: communes.flatMap((sharing) => sharing.capsApplied),
    unmatchedItemCodes: [...new Set(communes.flatMap((sharing) => sharing.unmatchedItemCodes))].sort(),
    hasPlaceholders: rules.hasPlaceholders,
  };
}
