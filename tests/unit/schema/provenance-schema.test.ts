/**
 * Provenance in the schema: one `Provenance` type (and its `SourceSystem` enum), declared
 * identically in every subgraph that serves source-backed records, and a `provenance` field on
 * every source-backed type.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema, GraphQLObjectType, parse, print, TypeDefinitionNode } from 'graphql';
import { readSupergraphConfig } from '../../../schema/compose';

const root = resolve(__dirname, '../../..');

function definitionOf(file: string, name: string): string | null {
  const found = parse(readFileSync(file, 'utf8')).definitions.find((d) => 'name' in d && (d as TypeDefinitionNode).name.value === name);
  return found ? print(found) : null;
}

describe('provenance in the schema', () => {
  const subgraphs = readSupergraphConfig(resolve(root, 'rover.yaml'));

  it('is one Provenance type and one SourceSystem enum, the same in every subgraph that declares them', () => {
    const provenance = subgraphs.map((s) => definitionOf(s.schemaFile, 'Provenance')).filter((d): d is string => d !== null);
    const sourceSystem = subgraphs.map((s) => definitionOf(s.schemaFile, 'SourceSystem')).filter((d): d is string => d !== null);
    expect(provenance.length).toBeGreaterThanOrEqual(5);
    expect(new Set(provenance).size).toBe(1);
    expect(provenance[0]).toMatch(/@shareable/);
    expect(new Set(sourceSystem).size).toBe(1);
  });

  it('is on every source-backed type of the public API', () => {
    const api = buildSchema(readFileSync(resolve(root, 'schema/api.graphql'), 'utf8'));
    const sourceBacked = ['Citizen', 'Household', 'Commune', 'Province', 'CivilStatus', 'LandParcel', 'LandRight', 'SocialInsurance', 'Budget'];
    const without = sourceBacked.filter((name) => String((api.getType(name) as GraphQLObjectType).getFields().provenance?.type) !== 'Provenance!');
    expect(without).toEqual([]);
    const fields = Object.keys((api.getType('Provenance') as GraphQLObjectType).getFields());
    expect(fields).toEqual(['source', 'producedAt', 'fetchedAt', 'servedFromCache', 'ageSeconds', 'stale']);
  });
});
