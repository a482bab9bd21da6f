/** `npm run compose`: writes schema/supergraph.graphql and the public schema/api.graphql from rover.yaml. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { composeFromConfig } from '../schema/compose';

const root = resolve(__dirname, '..');
const outcome = composeFromConfig(resolve(root, 'rover.yaml'));
if (!outcome.ok) {
  console.error(`Composition failed with ${outcome.errors.length} error(s):\n`);
  for (const error of outcome.errors) console.error(`  • ${error}\n`);
  process.exit(1);
}
writeFileSync(resolve(root, 'schema/supergraph.graphql'), outcome.supergraphSdl);
writeFileSync(resolve(root, 'schema/api.graphql'), outcome.apiSchemaSdl);
console.log('Wrote schema/supergraph.graphql and schema/api.graphql');
