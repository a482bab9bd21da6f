/**
 * The comparison: a plain @apollo/gateway under Apollo Server with default settings, as a team
 * would start one from Apollo's documentation. The only change to the supergraph it is given is
 * the one Apollo requires to load it at all: the security @links' `for: SECURITY` is dropped (it
 * does not enforce @requiresScopes/@authenticated; the subgraphs run in benchmark mode).
 *
 *   tsx bench/apollo-gateway.ts <port> <supergraph.graphql>
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { GatewayInterface } from '@apollo/server-gateway-interface';

async function main(): Promise<void> {
  const [port, supergraphPath] = process.argv.slice(2);
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, 'utf8') });
  const server = new ApolloServer({ gateway: gateway as unknown as GatewayInterface });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
  console.log(`apollo gateway: serving ${url}`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(`apollo gateway: ${(error as Error).message}`);
  process.exit(1);
});
