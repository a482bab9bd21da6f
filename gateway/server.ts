/**
 * The gateway: Apollo Server over @apollo/gateway, composed from the supergraph file, with
 * subgraph calls through undici, on a plain node:http server with `/graphql`, `/health` and
 * `/ready`. Cross-cutting features are Apollo Server plugins passed in `plugins`.
 */
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayConfig } from '../lib/config';
import { createForwardingSigner, FORWARDING_HEADER, ForwardingSigner } from '../lib/forwarding';
import { handleGraphQLRequest, sendJson } from '../lib/graphql-http';
import { readJwkFile } from '../lib/keys';
import type { SubgraphName } from '../lib/sources';
import { accessControlPlugin } from './access/plugin';
import { acceptSecurityFeatures } from './access/requirements';
import { createAuditSink } from '../lib/audit';
import { createAuditRecorder } from './audit/recorder';
import type { AuditSink } from '../lib/audit/sink';
import { createAuthenticator } from './auth/authenticate';
import { createTokenVerifier, TokenVerifier } from './auth/token-verifier';
import { GatewayContext, requestIdOf } from './context';
import { formatGatewayError } from './errors';
import { createSubgraphFetcher } from './subgraph-fetcher';

export interface GatewayOptions {
  /** The supergraph SDL; read from `config.supergraphPath` when absent. */
  supergraphSdl?: string;
  plugins?: ApolloServerPlugin<GatewayContext>[];
  /** Defaults built from `config`; tests pass their own. */
  tokenVerifier?: TokenVerifier;
  forwardingSigner?: ForwardingSigner;
  auditSink?: AuditSink;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  /** Stops taking requests, lets in-flight ones finish, then releases everything. */
  close(): Promise<void>;
}

/**
 * Forwards the request id (to follow one request across services) and the caller's identity,
 * signed, so subgraphs serve only the gateway and apply the same principal's limits.
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly signer: ForwardingSigner,
  ) {
    super(config);
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!context?.principal) return; // the gateway's own calls (health checks) carry no caller
    request.http?.headers.set('x-request-id', context.requestId);
    request.http?.headers.set(FORWARDING_HEADER, await this.signer.sign(context.principal));
  }
}

export function readSupergraph(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new Error(`Cannot read the supergraph at SUPERGRAPH_PATH=${path}; run "npm run compose" to write it`);
  }
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const supergraphSdl = options.supergraphSdl ?? readSupergraph(config.supergraphPath);
  const subgraphFetcher = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs });
  const signer = options.forwardingSigner ?? (await createForwardingSigner(readJwkFile(config.forwardingPrivateKeyFile)));
  const tokenVerifier =
    options.tokenVerifier ??
    createTokenVerifier({ jwksUrl: config.jwksUrl, jwksFile: config.jwksFile, issuer: config.jwtIssuer, audience: config.jwtAudience });
  const authenticator = createAuthenticator(tokenVerifier, { allowAnonymous: config.allowAnonymous });
  const auditSink = options.auditSink ?? createAuditSink(config);

  const gateway = new ApolloGateway({
    // The directives stay in the schema; only the refusal to load them is lifted, because the
    // access plugin below is what enforces them.
    supergraphSdl: acceptSecurityFeatures(supergraphSdl),
    buildService: ({ name, url }) =>
      new SubgraphDataSource({ url: config.subgraphUrls[name as SubgraphName] ?? url, fetcher: subgraphFetcher.fetcher }, signer),
  });

  const apollo = new ApolloServer<GatewayContext>({
    // @apollo/gateway still implements the Apollo Server 4 gateway interface, which
    // Apollo Server 5 accepts unchanged at run time.
    gateway: gateway as unknown as GatewayInterface,
    includeStacktraceInErrorResponses: false,
    formatError: formatGatewayError,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      accessControlPlugin({ recordReads: createAuditRecorder(auditSink) }),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  let ready = true;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    if (path !== '/graphql') return sendJson(res, 404, { error: 'Not found. The GraphQL endpoint is /graphql.' });
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    authenticator
      .authenticate(req, res)
      .then((principal) => principal && handleGraphQLRequest(apollo, req, res, { context: async () => ({ requestId, principal }) }))
      .catch(() => {
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;

  return {
    url: `http://${host}:${port}/graphql`,
    port,
    server,
    async close() {
      ready = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await apollo.stop();
      await subgraphFetcher.close();
      await auditSink.close();
    },
  };
}
