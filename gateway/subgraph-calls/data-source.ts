/**
 * One subgraph as @apollo/gateway sees it. Forwards the request id (to follow one request across
 * services) and the caller's identity, which the signing fetcher signs per call (signing.ts), so
 * subgraphs serve only the gateway and apply the same principal's limits. A subgraph that is down
 * or too slow nulls only its own fields (failures.ts).
 */
import { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { traceHeaders } from '../../lib/tracing';
import type { GatewayContext } from '../context';
import { classifySubgraphFailure, subgraphFailureResponse } from './failures';
import { PlainHeaders } from './fetcher';
import { CALLER_HEADER, callerIdentity } from './signing';

/** The gateway's id of the request a subgraph call belongs to (never the client's own). */
export const REQUEST_ID_HEADER = 'x-request-id';

export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly subgraph: string,
  ) {
    super(config);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await this.call(options);
    } catch (error) {
      const failure = classifySubgraphFailure(error, this.subgraph);
      if (!failure) throw error;
      return subgraphFailureResponse(failure, this.subgraph, options.request, 'document' in options ? options.document : undefined);
    }
  }

  /**
   * RemoteGraphQLDataSource.process as the gateway uses it (no automatic persisted queries, no
   * cache-control hints from subgraphs), with the call's headers a plain object: the original
   * builds node-fetch Headers twice and a node-fetch Request (a URL parse) per call, about 5% of
   * the gateway's CPU on a dossier. The body is the same JSON, query first.
   */
  private async call(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const headers = new PlainHeaders();
    for (const [name, value] of request.http?.headers ?? []) headers.append(name, value);
    headers.set('content-type', 'application/json');
    request.http = { method: 'POST', url: this.url, headers };
    await this.willSendRequest(options);
    if (!request.query) throw new Error('Missing query');
    const { http: _http, query, ...rest } = request;
    const response = await this.fetcher(this.url, {
      method: 'POST',
      headers: headers.raw as Record<string, string>,
      body: JSON.stringify({ query, ...rest }),
    });
    if (!response.ok) throw await this.errorFromResponse(response);
    const body = await this.parseBody(response);
    if (typeof body !== 'object' || body === null) throw new Error(`Expected JSON response body, but received: ${String(body)}`);
    return { ...body, http: response };
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!context?.principal) return; // the gateway's own calls (health checks) carry no caller
    request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    // W3C traceparent of the current span (@apollo/gateway's fetch span), continued by the subgraph.
    for (const [name, value] of Object.entries(traceHeaders())) request.http?.headers.set(name, value);
    request.http?.headers.set(CALLER_HEADER, callerIdentity(context.principal));
  }
}
