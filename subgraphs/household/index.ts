/**
 * The household subgraph: a household's head and members, as the household book lists them.
 * It reads no source: population sends the book's lines with the household (@requires), and the
 * members' own records come from population again, in a fetch of their own. That second fetch is
 * why this subgraph exists: the gateway's plan then asks for the members beside civil status,
 * land, BHXH and budget, so a cold dossier waits on two source round trips, not three.
 */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import type { SubgraphDefinition } from '../common/server';
import { HouseholdContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createHouseholdSubgraph(_config: SubgraphConfig): SubgraphDefinition<HouseholdContext> {
  return {
    name: 'household',
    typeDefs,
    resolvers,
    createContext: () => ({}),
    close: async () => undefined,
  };
}
