import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql } from 'graphql';
import { typeDefs } from '../../../subgraphs/household';
import { resolvers } from '../../../subgraphs/household/resolvers';
import { pid } from '../sources/fixtures/population';

const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });

const MEMBERS = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Household { householdId head { personalId } members { relationToHead citizen { personalId } } }
} }`;

/** A household reference as the gateway sends it, with what population sent for it (@requires). */
function household(id: string, lines: unknown, head: unknown = pid(0)) {
  return { __typename: 'Household', householdId: id, jurisdictionKey: '24/07210', headPersonalId: head, memberPersonalIds: [], memberships: lines };
}

const run = (reps: unknown[]) => graphql({ schema, source: MEMBERS, variableValues: { reps }, contextValue: {} });

describe('household subgraph', () => {
  it("serves the head and the members as the household book lists them, as references to population's records", async () => {
    const lines = [
      { personalId: pid(0), relationToHead: 'HEAD' },
      { personalId: pid(1), relationToHead: 'SPOUSE' },
      { personalId: pid(2), relationToHead: 'CHILD' },
    ];
    const result = await run([household('HK0000000', lines), household('HK0000001', [{ personalId: pid(4), relationToHead: 'HEAD' }], pid(4))]);
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([
      {
        householdId: 'HK0000000',
        head: { personalId: pid(0) },
        members: lines.map((line) => ({ relationToHead: line.relationToHead, citizen: { personalId: line.personalId } })),
      },
      { householdId: 'HK0000001', head: { personalId: pid(4) }, members: [{ relationToHead: 'HEAD', citizen: { personalId: pid(4) } }] },
    ]);
  });

  it.each([
    ['no lines at all', undefined, pid(0)],
    ['a line without a valid personal ID', [{ personalId: '12345', relationToHead: 'HEAD' }], pid(0)],
    ['a head that is not a personal ID', [{ personalId: pid(0), relationToHead: 'HEAD' }], 'HK-head'],
  ])("reports population's answer as inconsistent, without the IDs, given %s", async (_what, lines, head) => {
    const result = await run([household('HK0000000', lines, head)]);
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      expect(error.extensions).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
      expect(error.message).not.toMatch(/12345|HK-head|HK0000000/);
    }
  });
});
