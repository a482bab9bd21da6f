/**
 * The request limits' own arithmetic, on the real API schema: the cost of an operation with list
 * sizes from literals, variables and defaults; token counting; the document screen. The limits as
 * a caller meets them (codes, statuses) are in tests/integration/limits.test.ts.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { getIntrospectionQuery, getOperationAST, GraphQLSchema, parse } from 'graphql';
import { acceptSecurityFeatures } from '../../../gateway/access/requirements';
import { ASSUMED_LIST_SIZES, operationCost } from '../../../gateway/limits/cost';
import { countTokens, screenDocuments } from '../../../gateway/limits/document-size';
import { loadGatewayConfig } from '../../../lib/config';

const SUPERGRAPH = readFileSync(resolve(__dirname, '../../../schema/supergraph.graphql'), 'utf8');
const schema: GraphQLSchema = Supergraph.build(acceptSecurityFeatures(SUPERGRAPH)).apiSchema().toGraphQLJSSchema();

function cost(query: string, variables: unknown = {}): number {
  const document = parse(query);
  return operationCost(schema, document, getOperationAST(document)!, variables);
}

describe('operation cost', () => {
  it('counts one per object and nothing for its leaf fields', () => {
    expect(cost('{ citizen(personalId: "x") { personalId fullName dateOfBirth } }')).toBe(1);
    expect(cost('{ citizen(personalId: "x") { fullName permanentResidence { address commune { name } } } }')).toBe(3);
  });

  it('prices citizens(personalIds) per ID, whether the list is written inline or passed as a variable', () => {
    const fields = '{ fullName household { householdId } }';
    expect(cost(`{ citizens(personalIds: ["a", "b", "c"]) ${fields} }`)).toBe(3 * 2);
    expect(cost(`query Q($ids: [ID!]!) { citizens(personalIds: $ids) ${fields} }`, { ids: Array(100).fill('x') })).toBe(100 * 2);
    // One ID where a list is expected is a list of one.
    expect(cost(`query Q($ids: [ID!]!) { citizens(personalIds: $ids) ${fields} }`, { ids: 'x' })).toBe(2);
  });

  it('sizes a connection by first, its default when absent, and lets the size reach its nodes list', () => {
    const page = (args: string) => `{ commune(code: "07210") { residents${args} { totalCount nodes { fullName household { householdId } } } } }`;
    expect(cost(page('(first: 100)'))).toBe(1 + 1 + 100 * 2);
    expect(cost(page(''))).toBe(1 + 1 + 20 * 2); // first: Int = 20 in the schema
    expect(cost(`query Q($n: Int) ${page('(first: $n)')}`, { n: 5 })).toBe(1 + 1 + 5 * 2);
    expect(cost(`query Q($n: Int) ${page('(first: $n)')}`, {})).toBe(1 + 1 + 20 * 2);
  });

  it("prices a province's indicators as every commune they are computed over", () => {
    const indicators = '{ population insuranceCoverage { residents } }';
    expect(cost(`{ province(code: "24") { indicators ${indicators} } }`)).toBe(1 + 168 * (1 + 1));
    expect(cost(`{ commune(code: "07210") { indicators ${indicators} } }`)).toBe(1 + 1 + 1);
    // Every province's, twenty times over: far past the default limit of 25,000.
    const aliases = Array.from({ length: 20 }, (_, i) => `p${i}: provinces { indicators ${indicators} }`).join(' ');
    expect(cost(`{ ${aliases} }`)).toBeGreaterThan(25_000 * 9);
  });

  it("prices a variable the request leaves out at the default the operation declares, as execution runs it", () => {
    const page = `{ commune(code: "07210") { residents(first: $n) { nodes { fullName household { householdId } } } } }`;
    expect(cost(`query Q($n: Int = 100) ${page}`, {})).toBe(1 + 1 + 100 * 2);
    expect(cost(`query Q($n: Int = 100) ${page}`, { n: 3 })).toBe(1 + 1 + 3 * 2);
    const ids = JSON.stringify(Array(100).fill('024190012345'));
    expect(cost(`query Q($ids: [ID!] = ${ids}) { citizens(personalIds: $ids) { fullName household { householdId } } }`, {})).toBe(100 * 2);
  });


  it('prices one parsed operation afresh for each request whose variables size it, and remembers only fixed costs', () => {
    // Apollo Server hands every request with the same text the same document: a size passed as
    // a variable must not be remembered from the first request that priced it.
    const sized = parse(`query Q($n: Int, $ids: [ID!]!) { commune(code: "07210") { residents(first: $n) { nodes { fullName household { householdId } } } } citizens(personalIds: $ids) { fullName } }`);
    const price = (document: typeof sized, variables: unknown) => operationCost(schema, document, getOperationAST(document)!, variables);
    expect(price(sized, { n: 3, ids: ['a'] })).toBe(1 + 1 + 3 * 2 + 1);
    expect(price(sized, { n: 50, ids: ['a', 'b', 'c'] })).toBe(1 + 1 + 50 * 2 + 3);
    // A variable the cost does not read (a personal ID) leaves the cost fixed, and the same.
    const fixed = parse('query D($id: ID!) { citizen(personalId: $id) { fullName household { householdId } } }');
    expect(price(fixed, { id: '024190012345' })).toBe(2);
    expect(price(fixed, { id: '001190000001' })).toBe(2);
  });
  it('sizes lists without a size argument by the largest real answer', () => {
    expect(cost('{ provinces { code communes { code } } }')).toBe(ASSUMED_LIST_SIZES['Query.provinces'] * (1 + ASSUMED_LIST_SIZES['Province.communes']));
  });

  it('multiplies nested lists, which is what makes a fan-out expensive', () => {
    const fanOut = '{ provinces { communes { residents(first: 100) { nodes { household { members { citizen { fullName } } } } } } } }';
    expect(cost(fanOut)).toBeGreaterThan(1_000_000);
  });

  it('expands fragments and inline fragments where they are spread', () => {
    const spread = 'query Q { citizens(personalIds: ["a", "b"]) { ...F } } fragment F on Citizen { household { householdId } permanentResidence { address } }';
    const inline = '{ citizens(personalIds: ["a", "b"]) { ... on Citizen { household { householdId } permanentResidence { address } } } }';
    expect(cost(spread)).toBe(2 * 3);
    expect(cost(inline)).toBe(2 * 3);
  });

  it('charges nothing for introspection and __typename', () => {
    expect(cost(getIntrospectionQuery())).toBe(0);
    expect(cost('{ __typename provinces { __typename } }')).toBe(34);
  });

  it('prices the README dossier for 100 citizens under the default limit', () => {
    const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');
    const fields = /citizen\(personalId: \$id\) (\{[\s\S]*?\n {2}\})\n\}/.exec(readme)?.[1];
    expect(fields).toBeDefined();
    const hundred = cost(`query D($ids: [ID!]!) { citizens(personalIds: $ids) ${fields} }`, { ids: Array(100).fill('x') });
    expect(hundred).toBeGreaterThan(1000);
    expect(hundred).toBeLessThan(loadGatewayConfig({ DEV_DIR: tmpdir() }).limits.maxCost);
  });

  it('stays finite for absurd sizes', () => {
    const huge = cost('query Q($n: Int) { commune(code: "1") { residents(first: $n) { nodes { household { members { citizen { household { members { citizen { fullName } } } } } } } } } }', { n: 1e15 });
    expect(Number.isFinite(huge)).toBe(true);
    expect(cost('{ commune(code: "1") { residents(first: -5) { nodes { fullName } } } }')).toBe(2);
  });
});

describe('token counting and the document screen', () => {
  it('counts tokens but not comments or whitespace, and stops early', () => {
    expect(countTokens('{ a b }', 100)).toBe(4);
    expect(countTokens('# a comment\n{ a,  b }', 100)).toBe(4);
    expect(countTokens('{ a b c d e f g }', 3)).toBe(3);
    expect(countTokens('{ a "unterminated', 100)).toBe(2); // the parser reports the syntax error
  });

  const limits = { maxQueryBytes: 100, maxTokens: 10 };

  it('lets a query at the limits through and refuses one past them, with its own code', () => {
    expect(screenDocuments([{ query: '{ a b c d e f g h }' }], limits)).toBeNull(); // 10 tokens
    expect(screenDocuments([{ query: '{ a b c d e f g h i }' }], limits)).toMatchObject({ status: 400, code: 'TOO_MANY_TOKENS' });
    expect(screenDocuments([{ query: `{ a }${' '.repeat(95)}` }], limits)).toBeNull(); // 100 bytes
    expect(screenDocuments([{ query: `{ a }${' '.repeat(96)}` }], limits)).toMatchObject({ status: 413, code: 'QUERY_TOO_LARGE' });
  });

  it('screens every operation of a batch and leaves non-queries to Apollo', () => {
    expect(screenDocuments([{ query: '{ a }' }, { query: '{ a b c d e f g h i }' }], limits)?.code).toBe('TOO_MANY_TOKENS');
    expect(screenDocuments([null, 42, { query: 7 }, { extensions: {} }], limits)).toBeNull();
  });
});
