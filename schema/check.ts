/**
 * `npm run schema:check`: the schema as a product. The subgraphs compose; the committed
 * supergraph and API schema are what composition gives; every type, field, argument and enum value
 * is described; and against the last released API schema (schema/released/api.graphql) no change
 * breaks clients unless it is marked as intended in schema/released/breaking-changes.yaml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';
import YAML from 'yaml';
import { readSubgraphSdl } from '../lib/subgraph-sdl';
import { composeFromConfig, readSupergraphConfig } from './compose';
import { missingDescriptions } from './descriptions';

export interface SchemaPaths {
  roverYaml: string;
  supergraph: string;
  apiSchema: string;
  /** The API schema of the last release: the baseline for breaking changes. */
  released: string;
  /** Breaking changes marked as intended since that release. */
  acceptedChanges: string;
}

export function schemaPaths(root: string): SchemaPaths {
  return {
    roverYaml: resolve(root, 'rover.yaml'),
    supergraph: resolve(root, 'schema/supergraph.graphql'),
    apiSchema: resolve(root, 'schema/api.graphql'),
    released: resolve(root, 'schema/released/api.graphql'),
    acceptedChanges: resolve(root, 'schema/released/breaking-changes.yaml'),
  };
}

export type ChangeLevel = 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';

export interface AcceptedChange {
  type: string;
  path: string;
  reason: string;
}

export interface SchemaChange {
  level: ChangeLevel;
  /** graphql-inspector's change type, e.g. FIELD_REMOVED. */
  type: string;
  path: string;
  message: string;
  /** Why a breaking change is acceptable, when it is marked as intended. */
  acceptedBecause?: string;
}

export interface SchemaCheckReport {
  /** Relative paths, for messages. */
  files: { [K in keyof SchemaPaths]: string };
  subgraphCount: number;
  compositionErrors: string[];
  /** Committed files that differ from what composition gives now. */
  staleFiles: string[];
  missingDescriptions: { subgraph: string; coordinates: string[] }[];
  /** Null when there is no released schema to compare with. */
  changes: SchemaChange[] | null;
  /** Marked breaking changes that no longer happen (harmless, but the mark can go). */
  unusedAcceptances: AcceptedChange[];
  /** The composed API schema (what a release records). */
  apiSchemaSdl: string | null;
  ok: boolean;
}

export const ACCEPTED_CHANGES_TEMPLATE = `# Breaking changes of schema/api.graphql intended for the next release, against the last released
# schema (schema/released/api.graphql). \`npm run schema:check\` fails on any breaking change not
# listed here and prints the entry to add. \`npm run schema:release\` records the current schema as
# released and empties this list.
#
# accepted:
#   - type: FIELD_REMOVED          # graphql-inspector's change type, as schema:check prints it
#     path: Citizen.someField
#     reason: Clients were told in release notes 0.3; nobody queried it for 90 days.
accepted: []
`;

export function readAcceptedChanges(file: string): AcceptedChange[] {
  if (!existsSync(file)) return [];
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { accepted?: unknown } | null;
  const list = doc?.accepted ?? [];
  if (!Array.isArray(list)) throw new Error(`${file}: "accepted" must be a list of {type, path, reason}`);
  return list.map((entry: Record<string, unknown>, i) => {
    for (const key of ['type', 'path', 'reason'] as const) {
      if (typeof entry?.[key] !== 'string' || entry[key] === '') {
        throw new Error(`${file}: accepted[${i}] needs a non-empty "${key}" (type and path as schema:check prints them, and why the break is intended)`);
      }
    }
    return { type: entry.type as string, path: entry.path as string, reason: entry.reason as string };
  });
}

function levelOf(change: Change): ChangeLevel {
  if (change.criticality.level === CriticalityLevel.Breaking) return 'BREAKING';
  return change.criticality.level === CriticalityLevel.Dangerous ? 'DANGEROUS' : 'NON_BREAKING';
}

export async function checkSchema(root: string, paths: SchemaPaths = schemaPaths(root)): Promise<SchemaCheckReport> {
  const rel = (p: string) => relative(root, p) || p;
  const files = Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, rel(v)])) as SchemaCheckReport['files'];
  const subgraphs = readSupergraphConfig(paths.roverYaml);

  const missing = subgraphs
    .map((s) => ({ subgraph: s.name, coordinates: missingDescriptions(readSubgraphSdl(s.schemaFile)) }))
    .filter((m) => m.coordinates.length > 0);

  const outcome = composeFromConfig(paths.roverYaml);
  const compositionErrors = outcome.ok ? [] : outcome.errors;
  const staleFiles: string[] = [];
  let changes: SchemaChange[] | null = null;
  let unusedAcceptances: AcceptedChange[] = [];

  if (outcome.ok) {
    const committed = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);
    if (committed(paths.supergraph) !== outcome.supergraphSdl) staleFiles.push(files.supergraph);
    if (committed(paths.apiSchema) !== outcome.apiSchemaSdl) staleFiles.push(files.apiSchema);

    const released = committed(paths.released);
    if (released !== null) {
      const accepted = readAcceptedChanges(paths.acceptedChanges);
      const found = await diff(buildSchema(released), buildSchema(outcome.apiSchemaSdl));
      changes = found.map((change) => {
        const path = change.path ?? '';
        const mark = accepted.find((a) => a.type === change.type && a.path === path);
        const level = levelOf(change);
        return { level, type: change.type, path, message: change.message, ...(level === 'BREAKING' && mark ? { acceptedBecause: mark.reason } : {}) };
      });
      unusedAcceptances = accepted.filter((a) => !changes!.some((c) => c.level === 'BREAKING' && c.type === a.type && c.path === a.path));
    }
  }

  const unmarkedBreaking = (changes ?? []).some((c) => c.level === 'BREAKING' && !c.acceptedBecause);
  return {
    files,
    subgraphCount: subgraphs.length,
    compositionErrors,
    staleFiles,
    missingDescriptions: missing,
    changes,
    unusedAcceptances,
    apiSchemaSdl: outcome.ok ? outcome.apiSchemaSdl : null,
    ok: compositionErrors.length === 0 && staleFiles.length === 0 && missing.length === 0 && changes !== null && !unmarkedBreaking,
  };
}

const LEVEL_ORDER: ChangeLevel[] = ['BREAKING', 'DANGEROUS', 'NON_BREAKING'];

/** The report as a reader wants it: what passed, what failed, and what to do about it. */
export function formatSchemaReport(report: SchemaCheckReport, options: { verbose?: boolean } = {}): string {
  const { files } = report;
  const lines: string[] = [];
  if (report.compositionErrors.length > 0) {
    lines.push(`✗ composition failed (${files.roverYaml}):`, ...report.compositionErrors.map((e) => `    ${e}`));
  } else {
    lines.push(`✓ composition: ${report.subgraphCount} subgraphs from ${files.roverYaml}`);
  }
  if (report.staleFiles.length > 0) lines.push(`✗ out of date: ${report.staleFiles.join(', ')}; run "npm run compose" and commit them`);
  else if (report.compositionErrors.length === 0) lines.push(`✓ ${files.supergraph} and ${files.apiSchema} are current`);
  if (report.missingDescriptions.length > 0) {
    lines.push('✗ descriptions missing (Vietnamese first, then the English term):');
    for (const m of report.missingDescriptions) lines.push(`    ${m.subgraph}: ${m.coordinates.join(', ')}`);
  } else {
    lines.push('✓ descriptions: every type, field, argument and enum value');
  }

  if (report.changes === null) {
    if (report.compositionErrors.length === 0) {
      lines.push(`✗ no released schema at ${files.released}: record the current one with "npm run schema:release"`);
    }
  } else if (report.changes.length === 0) {
    lines.push(`✓ no changes against the released schema (${files.released})`);
  } else {
    lines.push(`Changes against the released schema (${files.released}):`);
    const sorted = [...report.changes].sort((a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level) || a.path.localeCompare(b.path));
    // Safe description edits are many and harmless to clients: counted unless asked for.
    const quiet = (c: SchemaChange) => !options.verbose && c.level === 'NON_BREAKING' && c.type.includes('DESCRIPTION');
    for (const c of sorted.filter((change) => !quiet(change))) {
      const mark = c.level === 'BREAKING' ? (c.acceptedBecause ? '✓' : '✗') : c.level === 'DANGEROUS' ? '!' : '·';
      lines.push(`  ${mark} ${c.level.padEnd(12)} ${c.path.padEnd(32)} ${c.message}`);
      if (c.acceptedBecause) lines.push(`      marked as intended: ${c.acceptedBecause}`);
    }
    const descriptionEdits = sorted.filter(quiet).length;
    if (descriptionEdits > 0) lines.push(`  · ${descriptionEdits} description change(s), all safe (--verbose lists them)`);
    const unmarked = sorted.filter((c) => c.level === 'BREAKING' && !c.acceptedBecause);
    if (unmarked.length > 0) {
      lines.push(
        '',
        `✗ ${unmarked.length} breaking change(s) would break existing clients. Undo them, or, if intended, add to ${files.acceptedChanges}:`,
        'accepted:',
        ...unmarked.flatMap((c) => [`  - type: ${c.type}`, `    path: ${c.path}`, '    reason: <why clients can take this, and how they were told>']),
      );
    }
  }
  for (const a of report.unusedAcceptances) lines.push(`! ${files.acceptedChanges}: ${a.type} ${a.path} is marked but no longer happens; remove it`);
  lines.push(report.ok ? 'schema:check passed' : 'schema:check FAILED');
  return lines.join('\n');
}
