/** `npm run start:gateway`: the gateway alone, against SUPERGRAPH_PATH and its subgraph URLs. */
import { ConfigError, loadGatewayConfig } from '../lib/config';
import { ensureDevKeys } from '../lib/keys';
import { startGateway } from './server';

async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  // Development trusts the local issuer in .dev/; production never makes or reads those keys.
  if (!config.production) await ensureDevKeys(config.devDir);
  const gateway = await startGateway(config);
  console.log(`gateway: serving ${gateway.url} (health /health, readiness /ready)`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`gateway: ${signal} received, finishing in-flight requests`);
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `gateway: failed to start: ${(error as Error).message}`);
  process.exit(1);
});
