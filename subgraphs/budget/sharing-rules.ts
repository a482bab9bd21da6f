/**
 * The province's revenue-sharing rule table (phân cấp nguồn thu), read from the YAML file that
 * BUDGET_RULES_FILE names: which revenue items the province keeps, which the commune keeps, and
 * how the shared ones are split. A province changes the file, not the code. The file is checked
 * whole when the subgraph starts; a mistake stops it with a message naming the variable and the
 * entry at fault.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../lib/config';

/** Who gets a revenue item: all to the province, all to the commune, a fixed split, or each commune's own percentage. */
export type SharingRule = 'PROVINCE' | 'COMMUNE' | 'SHARED' | 'COMMUNE_PERCENTAGE';

/** One revenue item (or one kind of a by-kind item) as the sharing applies it. */
export interface ItemRule {
  code: string;
  name: string;
  rule: SharingRule;
  /** SHARED: the commune's percentage (the province gets the rest). */
  communePercent?: number;
  /** The item's rule or name is not from the province's own table but stands in for it. */
  placeholder: boolean;
  /** The by-kind item this kind belongs to. */
  parentCode?: string;
}

/** A ceiling on what one commune may keep of a by-kind item in one fiscal year; the excess goes to the province. */
export interface CommuneShareCap {
  itemCode: string;
  itemName: string;
  capVnd: number;
  kindCodes: ReadonlySet<string>;
}

export interface SharingRules {
  /** The 2-digit province the table belongs to. */
  province: string;
  name: string;
  fiscalYears: { from: number; to: number };
  /** Every item and kind the export's lines are matched against, by item code. */
  items: ReadonlyMap<string, ItemRule>;
  caps: readonly CommuneShareCap[];
  /** Transfers from the budget above and the like: lines left out of the sharing. */
  notShared: ReadonlySet<string>;
  /** The commune's percentage for COMMUNE_PERCENTAGE items. */
  communePercent(communeCode: string): number;
  /** Whether any rule the sharing may use is a placeholder. */
  hasPlaceholders: boolean;
  /** The table's top-level items (kinds inside their item), as written. */
  topLevel: readonly { code: string; rule: SharingRule | 'BY_KIND' }[];
}

const RULE_NAMES = { province: 'PROVINCE', commune: 'COMMUNE', shared: 'SHARED', 'commune-percentage': 'COMMUNE_PERCENTAGE' } as const;

const code = z.string().regex(/^[A-Za-z0-9.-]{1,32}$/, 'an item code is 1–32 letters, digits, dots or dashes (as the treasury export writes it)');
const percent = z.number().min(0, 'a percentage is 0–100').max(100, 'a percentage is 0–100');
const leaf = z
  .object({
    code,
    name: z.string().min(1),
    rule: z.enum(['province', 'commune', 'shared', 'commune-percentage']),
    communePercent: percent.optional(),
    placeholder: z.boolean().default(false),
  })
  .strict()
  .refine((item) => (item.rule === 'shared') === (item.communePercent !== undefined), {
    message: 'communePercent is given exactly for the rule shared',
  });
const byKind = z
  .object({
    code,
    name: z.string().min(1),
    rule: z.literal('by-kind'),
    placeholder: z.boolean().default(false),
    communeShareCapVnd: z.number().int().positive().optional(),
    kinds: z.array(leaf).min(1),
  })
  .strict();
const table = z
  .object({
    province: z.string().regex(/^\d{2}$/, 'a 2-digit province code'),
    name: z.string().min(1),
    fiscalYears: z
      .object({ from: z.number().int().min(2000).max(2100), to: z.number().int().min(2000).max(2100) })
      .strict()
      .refine((years) => years.from <= years.to, { message: 'from is not after to' }),
    communePercentages: z
      .object({
        default: percent,
        placeholder: z.boolean().default(false),
        communes: z.record(z.string().regex(/^\d{5}$/, 'a 5-digit commune code'), percent).default({}),
      })
      .strict()
      .optional(),
    items: z.array(z.union([byKind, leaf])).min(1),
    notShared: z.array(z.object({ code, name: z.string().min(1) }).strict()).default([]),
  })
  .strict();

type Table = z.infer<typeof table>;

/** Reads and checks the rule table; a ConfigError names BUDGET_RULES_FILE and what is wrong. */
export function loadSharingRules(file: string): SharingRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`BUDGET_RULES_FILE=${JSON.stringify(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseSharingRules(text, file);
}

export function parseSharingRules(text: string, file = '(rules)'): SharingRules {
  const problem = (what: string) => new ConfigError([`BUDGET_RULES_FILE=${JSON.stringify(file)}: ${what}`]);
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (error) {
    throw problem(`not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = table.safeParse(raw);
  if (!parsed.success) {
    throw problem(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'the table'}: ${issue.message}`).join('; '));
  }
  return compile(parsed.data, problem);
}

function compile(data: Table, problem: (what: string) => ConfigError): SharingRules {
  const items = new Map<string, ItemRule>();
  const caps: CommuneShareCap[] = [];
  const seen = new Set<string>();
  const claim = (itemCode: string) => {
    if (seen.has(itemCode)) throw problem(`item code ${itemCode} appears more than once`);
    seen.add(itemCode);
  };
  let hasPlaceholders = false;
  const addLeaf = (item: z.infer<typeof leaf>, parent?: { code: string; placeholder: boolean }) => {
    claim(item.code);
    const placeholder = item.placeholder || (parent?.placeholder ?? false);
    if (item.rule === 'commune-percentage' && !data.communePercentages) {
      throw problem(`item ${item.code} uses commune-percentage, but the table has no communePercentages`);
    }
    hasPlaceholders ||= placeholder || (item.rule === 'commune-percentage' && data.communePercentages!.placeholder);
    items.set(item.code, {
      code: item.code,
      name: item.name,
      rule: RULE_NAMES[item.rule],
      ...(item.communePercent !== undefined ? { communePercent: item.communePercent } : {}),
      placeholder,
      ...(parent ? { parentCode: parent.code } : {}),
    });
  };
  for (const item of data.items) {
    if (item.rule === 'by-kind') {
      claim(item.code);
      for (const kind of item.kinds) addLeaf(kind, item);
      if (item.communeShareCapVnd !== undefined) {
        caps.push({ itemCode: item.code, itemName: item.name, capVnd: item.communeShareCapVnd, kindCodes: new Set(item.kinds.map((k) => k.code)) });
      }
    } else {
      addLeaf(item);
    }
  }
  for (const transfer of data.notShared) claim(transfer.code);
  const percentages = data.communePercentages;
  return {
    province: data.province,
    name: data.name,
    fiscalYears: data.fiscalYears,
    items,
    caps,
    notShared: new Set(data.notShared.map((transfer) => transfer.code)),
    communePercent: (communeCode) => percentages?.communes[communeCode] ?? percentages?.default ?? 0,
    hasPlaceholders,
    topLevel: data.items.map((item) => ({ code: item.code, rule: item.rule === 'by-kind' ? 'BY_KIND' : RULE_NAMES[item.rule] })),
  };
}
