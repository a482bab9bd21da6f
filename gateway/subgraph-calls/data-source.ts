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
      return await super.process(options);
    } catch (error) {
      const failure = classifySubgraphFailure(error, this.subgraph);
      if (!failure) throw error;
      return subgraphFailureResponse(failure, this.subgraph, options.request, 'document' in options ? options.document : undefined);
    }
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!context?.principal) return; // the gateway's own calls (health checks) carry no caller
    request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    // W3C traceparent of the current span (@apollo/gateway's fetch span), continued by the subgraph.
    for (const [name, value] of Object.entries(traceHeaders())) request.http?.headers.set(name, value);
    request.http?.headers.set(CALLER_HEADER, callerIdentity(context.principal));
  }
}
