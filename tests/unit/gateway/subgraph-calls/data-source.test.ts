/**
 * What a subgraph call looks like on its way out of the data source: the JSON body and headers
 * the signing fetcher signs and the subgraph reads, and how an answer or a failure comes back.
 */
import type { FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { parse } from 'graphql';
import { SubgraphDataSource } from '../../../../gateway/subgraph-calls/data-source';
import { BufferedResponse, PlainHeaders } from '../../../../gateway/subgraph-calls/fetcher';
import { CALLER_HEADER } from '../../../../gateway/subgraph-calls/signing';
import type { GatewayContext } from '../../../../gateway/context';
import { ANONYMOUS } from '../../../../lib/principal';

const URL = 'http://land.internal:4103/graphql';
const QUERY = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { landRights { certificateNumber } } } }';

function sourceAnswering(status: number, body: string, contentType = 'application/json') {
  const calls: { url: string; init: FetcherRequestInit }[] = [];
  const fetcher = async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    calls.push({ url, init });
    return new BufferedResponse(url, status, new PlainHeaders({ 'content-type': contentType }), body);
  };
  return { calls, dataSource: new SubgraphDataSource({ url: URL, fetcher: fetcher as never }, 'land') };
}

function callOf(dataSource: SubgraphDataSource, context: GatewayContext | undefined) {
  return dataSource.process({
    kind: 'incoming operation', // GraphQLDataSourceRequestKind.INCOMING_OPERATION (not exported)
    request: { query: QUERY, variables: { representations: [{ __typename: 'Citizen', personalId: 'p1' }] }, operationName: undefined },
    incomingRequestContext: {} as never,
    context: context as GatewayContext,
    document: parse(QUERY),
    pathInIncomingRequest: [],
  } as never);
}

const context: GatewayContext = { requestId: 'req-1', callerRequestId: undefined, principal: { ...ANONYMOUS, subject: 'officer-1' } } as GatewayContext;

describe('SubgraphDataSource', () => {
  it('posts the query first, then its variables, as JSON, with the request id, trace and caller in lower-case headers', async () => {
    const { calls, dataSource } = sourceAnswering(200, '{"data":{"_entities":[{"landRights":[]}]}}');
    const answer = await callOf(dataSource, context);
    expect(answer.data).toEqual({ _entities: [{ landRights: [] }] });
    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls;
    expect(url).toBe(URL);
    expect(init.method).toBe('POST');
    expect(init.body).toBe(JSON.stringify({ query: QUERY, variables: { representations: [{ __typename: 'Citizen', personalId: 'p1' }] } }));
    expect(init.headers).toMatchObject({ 'content-type': 'application/json', 'x-request-id': 'req-1' });
    expect(typeof init.headers?.[CALLER_HEADER]).toBe('string');
    expect(Object.keys(init.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it("sends the gateway's own calls (no caller) without a caller or request id", async () => {
    const { calls, dataSource } = sourceAnswering(200, '{"data":{"_service":{"sdl":""}}}');
    await callOf(dataSource, undefined);
    expect(calls[0].init.headers).toEqual({ 'content-type': 'application/json' });
  });

  it("nulls only the subgraph's fields when it answers 503, naming it", async () => {
    const { dataSource } = sourceAnswering(503, 'upstream down', 'text/plain');
    const answer = await callOf(dataSource, context);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]).toMatchObject({ path: ['_entities', 0, 'landRights'], extensions: { code: 'SOURCE_UNAVAILABLE', source: 'land' } });
  });

  it('rejects an answer that is not a JSON object, as the gateway would any broken subgraph', async () => {
    const { dataSource } = sourceAnswering(200, 'not json', 'text/plain');
    await expect(callOf(dataSource, context)).rejects.toThrow('Expected JSON response body');
  });
});
