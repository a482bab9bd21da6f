/**
 * The audit subgraph's access history past GraphQL's 32-bit Int: a national log outgrows
 * 2,147,483,647 entries, and a citizen must still be able to read and page through every one.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import DataLoader from 'dataloader';
import { graphql } from 'graphql';
import type { AuditEntry } from '../../../lib/audit/entry';
import { typeDefs } from '../../../subgraphs/audit';
import { AuditContext, resolvers } from '../../../subgraphs/audit/resolvers';

const PERSONAL_ID = '024190000001';
const PAST_INT = 3_000_000_000; // > 2,147,483,647

function entry(seq: number): AuditEntry {
  return {
    seq,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    at: '2029-06-01T08:00:00.000Z',
    requestId: `req-${seq}`,
    subject: 'officer-1',
    clientId: 'tthc',
    purpose: null,
    personalId: PERSONAL_ID,
    fields: ['Citizen.fullName'],
    sources: ['population'],
    locationIndependent: false,
  } as AuditEntry;
}

/** The subgraph over a log whose newest entries lie past the Int range; records each page asked for. */
function subgraph() {
  const asked: string[] = [];
  const log = [PAST_INT + 2, PAST_INT + 1, PAST_INT].map(entry);
  const context = (): AuditContext => ({
    loaders: {
      accessLog: new DataLoader<string, AuditEntry[]>(async (keys) =>
        keys.map((key) => {
          asked.push(key);
          const [first, before] = key.split(':');
          return log.filter((e) => before === '' || e.seq < Number(before)).slice(0, Number(first));
        }),
      ),
    },
    sharingReport: () => Promise.reject(new Error('not asked')),
  });
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  const ask = (before: unknown, type = 'ID') =>
    graphql({
      schema,
      source: `query ($id: ID!, $before: ${type}) { accessLog(personalId: $id, first: 2, before: $before) { sequence requestId } }`,
      variableValues: { id: PERSONAL_ID, before },
      contextValue: context(),
    });
  return { ask, asked };
}

describe('audit subgraph: sequences past the Int range', () => {
  it('serves sequences above 2,147,483,647 as strings of digits, and pages on from them', async () => {
    const { ask, asked } = subgraph();
    const first = await ask(null);
    expect(first.errors).toBeUndefined();
    expect(first.data?.accessLog).toEqual([
      { sequence: '3000000002', requestId: 'req-3000000002' },
      { sequence: '3000000001', requestId: 'req-3000000001' },
    ]);
    const next = await ask('3000000001');
    expect(next.data?.accessLog).toEqual([{ sequence: '3000000000', requestId: 'req-3000000000' }]);
    expect(asked).toEqual([`2::${PERSONAL_ID}`, `2:3000000001:${PERSONAL_ID}`]);
  });

  it('still takes a whole number for before, as clients sent it while sequence was an Int', async () => {
    const { ask, asked } = subgraph();
    expect((await ask(3)).errors).toBeUndefined();
    expect(asked).toEqual([`2:3:${PERSONAL_ID}`]);
  });

  it.each([['0'], ['-5'], ['12abc'], ['9007199254740993'], ['']])('refuses before = %j with BAD_USER_INPUT naming the argument', async (before) => {
    const { ask, asked } = subgraph();
    const result = await ask(before);
    expect(result.errors?.[0].message).toBe('Invalid before: expected the sequence of an event from an earlier page, a whole number from 1 to 9007199254740991');
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(asked).toEqual([]);
  });
});
