/**
 * `npm run schema:check`: composition, current committed schemas, descriptions, and breaking
 * changes against the last released API schema; exits 1 on any failure (CI runs the same check in
 * `npm test`, tests/unit/schema/schema-check.test.ts). `-- --verbose` also lists description edits.
 * `npm run schema:release`: after a passing check, records schema/api.graphql as the released
 * schema and empties the list of intended breaking changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ACCEPTED_CHANGES_TEMPLATE, checkSchema, formatSchemaReport, schemaPaths } from '../schema/check';

async function main(): Promise<void> {
  const release = process.argv.includes('--release');
  const root = resolve(__dirname, '..');
  const paths = schemaPaths(root);
  const report = await checkSchema(root, paths);
  console.log(formatSchemaReport(report, { verbose: process.argv.includes('--verbose') }));
  // A first release has no baseline yet; everything else must pass before it is recorded.
  const firstRelease = report.changes === null && report.apiSchemaSdl !== null && report.staleFiles.length === 0 && report.missingDescriptions.length === 0;
  if (release) {
    if (!report.ok && !firstRelease) {
      console.error('\nNot released: fix the failures above first.');
      process.exit(1);
    }
    mkdirSync(dirname(paths.released), { recursive: true });
    writeFileSync(paths.released, report.apiSchemaSdl as string);
    writeFileSync(paths.acceptedChanges, ACCEPTED_CHANGES_TEMPLATE);
    console.log(`\nReleased: ${report.files.released} now holds the current API schema; ${report.files.acceptedChanges} is empty again. Commit both.`);
    return;
  }
  if (!report.ok) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(`schema:check: ${(error as Error).message}`);
  process.exit(1);
});
