/**
 * `npm run schema:check` as CI runs it (the same function), and what it catches, on a small
 * workspace of its own: a breaking change fails unless marked as intended, dangerous and safe
 * changes are listed without failing, undescribed fields and stale committed files fail.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkSchema, formatSchemaReport, schemaPaths } from '../../../schema/check';
import { composeFromConfig } from '../../../schema/compose';

const ROOT = resolve(__dirname, '../../..');

describe('the repository schema', () => {
  it('passes schema:check: composes, is current, fully described, and breaks no released client', async () => {
    const report = await checkSchema(ROOT);
    // On failure the message is the same report `npm run schema:check` prints.
    if (!report.ok) throw new Error(formatSchemaReport(report));
    expect(report.changes).not.toBeNull();
  });
});

const SUBGRAPH = (fields: string, extraEnum = '') => `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
"Truy vấn (queries)."
type Query {
  "Một công dân (a citizen)."
  citizen("Số định danh (personal ID)." personalId: ID!): Citizen
}
"Công dân (citizen)."
type Citizen @key(fields: "personalId") {
  "Số định danh (personal ID)."
  personalId: ID!
${fields}
}
"Giới tính (gender)."
enum Gender {
  "Nam (male)."
  MALE
  "Nữ (female)."
  FEMALE
${extraEnum}
}
`;
const NAME = '  "Họ tên (full name)."\n  fullName: String!\n  "Giới tính (gender)."\n  gender: Gender!';

describe('schema:check on a workspace', () => {
  let root: string;
  const write = (path: string, text: string) => writeFileSync(join(root, path), text);

  /** Writes the subgraph, composes it as `npm run compose` would, and optionally releases that schema. */
  function setUp(fields: string, options: { release?: boolean; compose?: boolean; extraEnum?: string } = {}) {
    write('people.graphql', SUBGRAPH(fields, options.extraEnum));
    if (options.compose === false) return;
    const outcome = composeFromConfig(join(root, 'rover.yaml'));
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    write('schema/supergraph.graphql', outcome.supergraphSdl);
    write('schema/api.graphql', outcome.apiSchemaSdl);
    if (options.release) write('schema/released/api.graphql', outcome.apiSchemaSdl);
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'schema-check-'));
    mkdirSync(join(root, 'schema/released'), { recursive: true });
    write(
      'rover.yaml',
      'federation_version: =2.14.4\nsubgraphs:\n  people:\n    routing_url: http://127.0.0.1:1/graphql\n    schema:\n      file: ./people.graphql\n',
    );
    setUp(NAME, { release: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes when nothing changed since the release', async () => {
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(true);
    expect(report.changes).toEqual([]);
  });

  it('fails on a removed field, names it, and prints the entry that would mark it as intended', async () => {
    setUp('  "Giới tính (gender)."\n  gender: Gender!');
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(false);
    expect(report.changes).toEqual([expect.objectContaining({ level: 'BREAKING', type: 'FIELD_REMOVED', path: 'Citizen.fullName' })]);
    const text = formatSchemaReport(report);
    expect(text).toMatch(/✗ BREAKING +Citizen\.fullName +Field 'fullName' .*removed/);
    expect(text).toContain('  - type: FIELD_REMOVED\n    path: Citizen.fullName');
    expect(text).toMatch(/schema:check FAILED$/);
  });

  it('passes a breaking change marked as intended, and shows why', async () => {
    setUp('  "Giới tính (gender)."\n  gender: Gender!');
    write('schema/released/breaking-changes.yaml', 'accepted:\n  - type: FIELD_REMOVED\n    path: Citizen.fullName\n    reason: Moved to a new field; announced in 0.2.\n');
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(true);
    expect(formatSchemaReport(report)).toContain('marked as intended: Moved to a new field; announced in 0.2.');
  });

  it('lists a dangerous change (a new enum value) and a safe one (a new field) without failing', async () => {
    setUp(`${NAME}\n  "Ngày sinh (date of birth)."\n  dateOfBirth: String`, { extraEnum: '  "Khác (other)."\n  OTHER' });
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(true);
    expect(report.changes?.map((c) => [c.level, c.path])).toEqual(
      expect.arrayContaining([
        ['DANGEROUS', 'Gender.OTHER'],
        ['NON_BREAKING', 'Citizen.dateOfBirth'],
      ]),
    );
    // The new field's and value's descriptions are counted, and listed only on request.
    expect(formatSchemaReport(report)).toContain('· 2 description change(s), all safe (--verbose lists them)');
    expect(formatSchemaReport(report, { verbose: true })).toMatch(/NON_BREAKING +Citizen\.dateOfBirth +Field 'Citizen\.dateOfBirth' has description/);
  });

  it('fails on an undescribed field, naming its coordinate', async () => {
    setUp(`${NAME}\n  dateOfBirth: String`);
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(false);
    expect(report.missingDescriptions).toEqual([{ subgraph: 'people', coordinates: ['Citizen.dateOfBirth'] }]);
  });

  it('fails when the committed API schema is stale, and says to run compose', async () => {
    setUp(`${NAME}\n  "Ngày sinh (date of birth)."\n  dateOfBirth: String`, { compose: false });
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(false);
    expect(report.staleFiles).toEqual(['schema/supergraph.graphql', 'schema/api.graphql']);
    expect(formatSchemaReport(report)).toContain('run "npm run compose"');
  });

  it('fails without a released schema, saying how to record one', async () => {
    rmSync(join(root, 'schema/released/api.graphql'));
    const report = await checkSchema(root, schemaPaths(root));
    expect(report.ok).toBe(false);
    expect(formatSchemaReport(report)).toContain('npm run schema:release');
  });

  it('refuses a malformed list of intended changes with a message naming the missing key', async () => {
    write('schema/released/breaking-changes.yaml', 'accepted:\n  - type: FIELD_REMOVED\n    path: Citizen.fullName\n');
    await expect(checkSchema(root, schemaPaths(root))).rejects.toThrow(/accepted\[0\] needs a non-empty "reason"/);
  });
});
