/**
 * The contract every gateway feature keeps. A feature is one module whose factory takes typed
 * options and returns a GatewayFeature holding only the hooks it needs; `gateway/server.ts`
 * registers a list of them, one line each. The list's order is the order that matters:
 *  - `onRequest` and `onOperations` run in list order, and the first refusal ends the request;
 *  - Apollo Server plugins run in list order (a feature that must see the operation as sent
 *    comes before one that rewrites it);
 *  - `aroundSubgraphCall` wrappers nest in list order, the first registered outermost;
 *  - routes are tried in list order; `close` runs in reverse order once the server has drained.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerOptionsWithGateway, ApolloServerPlugin } from '@apollo/server';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { ValidationRule } from 'graphql';
import type { Principal } from '../lib/principal';
import type { GatewayContext } from './context';
import type { RouteHandler } from '../lib/http-service';

/** A request to `/graphql` on its way in, before any GraphQL work. */
export interface IncomingGraphQLRequest {
  req: IncomingMessage;
  /** The gateway's own id for this request. */
  requestId: string;
  /** Set by the authentication feature; every later hook sees it. */
  principal?: Principal;
}

/** The same request once its body is read: the operations as sent (a batch's several, or none). */
export interface AdmittedGraphQLRequest extends IncomingGraphQLRequest {
  principal: Principal;
  operations: readonly unknown[];
}

type Awaitable<T> = T | Promise<T>;

/** Writes a complete answer's body (one feature may take this over: compression). */
export type BodyWriter = (req: IncomingMessage, res: ServerResponse, body: string) => Awaitable<void>;

export interface GatewayFeature {
  /** Names the feature in start-up errors. */
  readonly name: string;
  /**
   * Before the body is read, from the headers alone. Throw an HttpError to refuse (anything else
   * thrown is a fault, answered 500).
   */
  onRequest?(request: IncomingGraphQLRequest): Awaitable<void>;
  /** Once the body is read and before Apollo parses anything. Throw an HttpError to refuse. */
  onOperations?(request: AdmittedGraphQLRequest): Awaitable<void>;
  /** Apollo Server plugins: parsing, validation, planning, execution and the answer. */
  plugins?: readonly ApolloServerPlugin<GatewayContext>[];
  /** Extra GraphQL validation rules. */
  validationRules?: readonly ValidationRule[];
  /** Apollo Server's automatic persisted queries, where they are kept. */
  persistedQueries?: ApolloServerOptionsWithGateway<GatewayContext>['persistedQueries'];
  /** Wraps the calls to one subgraph (after @apollo/gateway, before the signature and the network). */
  aroundSubgraphCall?(subgraph: string, call: Fetcher): Fetcher;
  /** HTTP routes beside `/graphql`. */
  routes?: readonly RouteHandler[];
  /** Writes complete answers; at most one feature may. */
  writeBody?: BodyWriter;
  /** Once, before the gateway listens; may name addresses it serves (`{ metrics: url }`). */
  start?(): Promise<Record<string, string> | void>;
  /** Releases what the feature holds, after requests in flight have finished. */
  close?(): Promise<void> | void;
}

/** The features' hooks gathered in registration order, for the server to run. */
export interface RegisteredFeatures {
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  readonly validationRules: ValidationRule[];
  readonly routes: RouteHandler[];
  readonly persistedQueries: GatewayFeature['persistedQueries'];
  readonly writeBody: BodyWriter | undefined;
  admitRequest(request: IncomingGraphQLRequest): Promise<void>;
  admitOperations(request: AdmittedGraphQLRequest): Promise<void>;
  aroundSubgraphCall(subgraph: string, call: Fetcher): Fetcher;
  start(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

function single<K extends 'writeBody' | 'persistedQueries'>(features: readonly GatewayFeature[], hook: K): GatewayFeature[K] {
  const holders = features.filter((feature) => feature[hook] !== undefined);
  if (holders.length > 1) throw new Error(`Only one gateway feature may provide ${hook}; ${holders.map((f) => f.name).join(' and ')} both do`);
  return holders[0]?.[hook];
}

export function registerFeatures(features: readonly GatewayFeature[]): RegisteredFeatures {
  const names = new Set<string>();
  for (const { name } of features) {
    if (names.has(name)) throw new Error(`The gateway feature "${name}" is registered twice`);
    names.add(name);
  }
  const onRequest = features.flatMap((f) => (f.onRequest ? [f.onRequest.bind(f)] : []));
  const onOperations = features.flatMap((f) => (f.onOperations ? [f.onOperations.bind(f)] : []));
  const wrappers = features.flatMap((f) => (f.aroundSubgraphCall ? [f.aroundSubgraphCall.bind(f)] : []));
  return {
    plugins: features.flatMap((f) => f.plugins ?? []),
    validationRules: features.flatMap((f) => f.validationRules ?? []),
    routes: features.flatMap((f) => f.routes ?? []),
    persistedQueries: single(features, 'persistedQueries'),
    writeBody: single(features, 'writeBody'),
    async admitRequest(request) {
      for (const hook of onRequest) await hook(request);
    },
    async admitOperations(request) {
      for (const hook of onOperations) await hook(request);
    },
    aroundSubgraphCall(subgraph, call) {
      // The last registered wraps the call first, so the first registered ends up outermost.
      return wrappers.reduceRight((inner, wrap) => wrap(subgraph, inner), call);
    },
    async start() {
      const addresses: Record<string, string> = {};
      for (const feature of features) Object.assign(addresses, (await feature.start?.()) ?? {});
      return addresses;
    },
    async close() {
      for (const feature of [...features].reverse()) await feature.close?.();
    },
  };
}
