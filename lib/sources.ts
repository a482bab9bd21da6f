/**
 * The national and sector systems the product reads from. Each has its own mock service, its own
 * API key and (except the catalogue, which several subgraphs read) its own subgraph.
 */
export const SOURCES = ['population', 'civil-status', 'land', 'social-insurance', 'budget', 'catalogue'] as const;
export type SourceName = (typeof SOURCES)[number];

/**
 * The subgraphs composed into the supergraph, in composition order: one per source, plus the
 * internal subgraphs: audit (citizens' access history from the audit log), reconciliation
 * (where the sources disagree), indicators (a commune's and a province's indicator set) and
 * household (a household's head and members, from what population sends).
 */
export const SUBGRAPHS = ['population', 'civil-status', 'land', 'social-insurance', 'budget', 'audit', 'reconciliation', 'indicators', 'household'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

/** `civil-status` → `CIVIL_STATUS`, the prefix of a source's environment variables. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** Default local ports: mocks at 4201–4206, subgraphs from 4101 in the order above, gateway at 4000. */
export function defaultSourcePort(name: SourceName): number {
  return 4201 + SOURCES.indexOf(name);
}
export function defaultSubgraphPort(name: SubgraphName): number {
  return 4101 + SUBGRAPHS.indexOf(name);
}

/** The sources whose answers are about one citizen, each cached by the subgraph of its name: what cache invalidation names. */
export const PERSONAL_SOURCES = ['population', 'civil-status', 'land', 'social-insurance'] as const satisfies readonly SourceName[];
