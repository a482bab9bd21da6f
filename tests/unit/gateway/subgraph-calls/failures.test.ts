/**
 * A subgraph call that fails is reported on the fields that call would have filled: which
 * failures count as the subgraph being unavailable, and where their errors are placed.
 */
import { GraphQLError } from 'graphql';
import { classifySubgraphFailure, subgraphFailureResponse } from '../../../../gateway/subgraph-calls/failures';
import { SubgraphAnswerTooLargeError, SubgraphTimeoutError } from '../../../../gateway/subgraph-calls/fetcher';

const connectionError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
const httpError = (status: number) => new GraphQLError(`${status}: ${status}`, { extensions: { response: { status } } });

describe('classifySubgraphFailure', () => {
  it.each([
    ['a timeout', 'SOURCE_TIMEOUT', new SubgraphTimeoutError('http://land:4103/graphql', 1000)],
    ['a refused connection', 'SOURCE_UNAVAILABLE', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a socket closed mid-answer', 'SOURCE_UNAVAILABLE', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })],
    ['a wrapped reset', 'SOURCE_UNAVAILABLE', connectionError('ECONNRESET')],
    ['HTTP 502 from a proxy', 'SOURCE_UNAVAILABLE', httpError(502)],
    ['HTTP 503', 'SOURCE_UNAVAILABLE', httpError(503)],
    ['an answer larger than the gateway reads', 'SOURCE_UNAVAILABLE', new SubgraphAnswerTooLargeError('http://land:4103/graphql', 1024)],
  ])('%s → %s', (_what, code, error) => {
    const failure = classifySubgraphFailure(error, 'land');
    expect(failure?.code).toBe(code);
    expect(failure?.message).toMatch(/^The land subgraph .*its fields are null$/);
  });

  it.each([
    ['HTTP 401 (a forwarding key mismatch: a configuration fault, not an outage)', httpError(401)],
    ['HTTP 400', httpError(400)],
    ['a programming error', new TypeError('x is undefined')],
  ])('leaves %s to the gateway as it is', (_what, error) => {
    expect(classifySubgraphFailure(error, 'land')).toBeNull();
  });
});

describe('subgraphFailureResponse', () => {
  const failure = { code: 'SOURCE_UNAVAILABLE' as const, message: 'The land subgraph could not be reached; its fields are null' };

  it('names each root field a root fetch would have filled', () => {
    const { errors } = subgraphFailureResponse(failure, 'population', { query: 'query($id: ID!) { citizen(personalId: $id) { fullName } c2: commune(code: "07210") { name } }' });
    expect(errors.map((e) => e.path)).toEqual([['citizen'], ['c2']]);
    expect(errors.every((e) => e.extensions?.code === 'SOURCE_UNAVAILABLE' && e.extensions?.source === 'population')).toBe(true);
  });

  it('names the fields an entity fetch adds, on the first entity, for the gateway to place', () => {
    const query = 'query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Citizen { landRights { certificateNumber } } } }';
    const { errors } = subgraphFailureResponse(failure, 'land', { query });
    expect(errors).toEqual([{ message: failure.message, path: ['_entities', 0, 'landRights'], extensions: { code: 'SOURCE_UNAVAILABLE', source: 'land' } }]);
  });

  it('still reports the failure, without a path, when the query cannot be read', () => {
    const { errors } = subgraphFailureResponse(failure, 'land', { query: '{ broken' });
    expect(errors).toEqual([{ message: failure.message, extensions: { code: 'SOURCE_UNAVAILABLE', source: 'land' } }]);
  });
});
