/**
 * Provenance in the schema: a `provenance` field on every source-backed type, naming the source
 * system it came from. The type is written once (lib/schema-fragments/provenance.graphql).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema, GraphQLEnumType, GraphQLObjectType } from 'graphql';
import { SOURCES } from '../../../lib/sources';
import { sourceSystem } from '../../../subgraphs/common/provenance-resolvers';

const root = resolve(__dirname, '../../..');

describe('provenance in the schema', () => {
  const api = buildSchema(readFileSync(resolve(root, 'schema/api.graphql'), 'utf8'));

  it('is on every source-backed type of the public API', () => {
    const sourceBacked = ['Citizen', 'Household', 'Commune', 'Province', 'CivilStatus', 'LandParcel', 'LandRight', 'SocialInsurance', 'Budget'];
    const without = sourceBacked.filter((name) => String((api.getType(name) as GraphQLObjectType).getFields().provenance?.type) !== 'Provenance!');
    expect(without).toEqual([]);
    const fields = Object.keys((api.getType('Provenance') as GraphQLObjectType).getFields());
    expect(fields).toEqual(['source', 'producedAt', 'fetchedAt', 'servedFromCache', 'ageSeconds', 'stale']);
  });

  it('can name every source the product reads', () => {
    const values = (api.getType('SourceSystem') as GraphQLEnumType).getValues().map((value) => value.name);
    expect(values).toEqual(SOURCES.map(sourceSystem));
  });
});
