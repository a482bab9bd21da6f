/**
 * The operation @apollo/gateway builds to shape an answer is built once per document and schema,
 * and each request's own variables still shape its answer.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { Kind, OperationDefinitionNode, parse } from 'graphql';
import { acceptSecurityFeatures } from '../../../gateway/access/requirements';
import { reuseBuiltOperations } from '../../../gateway/operation-reuse';

const supergraph = acceptSecurityFeatures(readFileSync(join(__dirname, '../../../schema/supergraph.graphql'), 'utf8'));
// The copy of the module the gateway loads, as the executor reaches it.
const operations = require(require.resolve('@apollo/federation-internals/dist/operations', { paths: [dirname(require.resolve('@apollo/gateway'))] })) as {
  operationFromDocument: (schema: unknown, document: unknown, options?: { validate?: boolean; operationName?: string }) => unknown;
};

/** A population subgraph that answers every province call with two provinces and their names. */
const population: GraphQLDataSource = {
  async process() {
    return { data: { provinces: [{ code: '01', name: 'Thành phố Hà Nội' }, { code: '79', name: 'Thành phố Hồ Chí Minh' }] } };
  },
};

describe('operations built once per document', () => {
  let server: ApolloServer;
  let gateway: ApolloGateway;

  beforeAll(async () => {
    reuseBuiltOperations();
    gateway = new ApolloGateway({ supergraphSdl: supergraph, buildService: () => population });
    server = new ApolloServer({ gateway: gateway as unknown as GatewayInterface });
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('shapes each answer by its own request\'s variables when the same query is asked again', async () => {
    const query = 'query Provinces($withName: Boolean!) { provinces { code name @include(if: $withName) } }';
    const ask = async (withName: boolean) => {
      const { body } = await server.executeOperation({ query, variables: { withName } });
      if (body.kind !== 'single') throw new Error('expected a single answer');
      return body.singleResult;
    };
    const named = await ask(true);
    const bare = await ask(false);
    const namedAgain = await ask(true);
    expect(named.errors).toBeUndefined();
    expect(named.data).toEqual({ provinces: [{ code: '01', name: 'Thành phố Hà Nội' }, { code: '79', name: 'Thành phố Hồ Chí Minh' }] });
    // The subgraph answered with names; the gateway's shaping left them out for this request.
    expect(bare.data).toEqual({ provinces: [{ code: '01' }, { code: '79' }] });
    expect(namedAgain.data).toEqual(named.data);
  });

  it('gives the same operation for the same document nodes and schema, and builds anew otherwise', async () => {
    // The federation schema the executor builds operations against.
    const { apiSchema } = gateway as unknown as { apiSchema: unknown };
    expect(apiSchema).toBeDefined();
    const document = parse('query A { provinces { code ...N } } fragment N on Province { name }');
    const [operation, fragment] = document.definitions;
    const asExecuted = (definitions = document.definitions) => ({ kind: Kind.DOCUMENT, definitions: [...definitions] });
    const first = operations.operationFromDocument(apiSchema, asExecuted(), { validate: false });
    expect(operations.operationFromDocument(apiSchema, asExecuted(), { validate: false })).toBe(first);
    // Another fragment under the same operation node, another document, or validation asked for: built anew.
    const otherFragment = parse('fragment N on Province { code }').definitions[0];
    expect(operations.operationFromDocument(apiSchema, asExecuted([operation, otherFragment]), { validate: false })).not.toBe(first);
    const sameText = parse('query A { provinces { code ...N } } fragment N on Province { name }');
    expect(operations.operationFromDocument(apiSchema, asExecuted(sameText.definitions), { validate: false })).not.toBe(first);
    expect(operations.operationFromDocument(apiSchema, asExecuted([operation as OperationDefinitionNode, fragment]))).not.toBe(first);
  });
});
