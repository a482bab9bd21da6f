/** The gateway-to-subgraph link: signed jurisdiction keys and TLS with client certificates. */
import { z } from 'zod';
import { devKeyPaths } from '../keys';
import { ConfigError, Env, isProduction, read } from './env';
import { devDirectory } from './paths';

export interface SubgraphServerTls {
  certFile: string;
  keyFile: string;
  /** The CA that signed the gateway's client certificate: connections without one are refused. */
  clientCaFile: string;
}

/** A subgraph's side of the link (part of its SubgraphConfig). */
export interface SubgraphLinkSecurity {
  /** Signing (population) and verification (the others) of jurisdiction keys; see loadSubgraphLinkSecurity. */
  jurisdictionKeyPrivateKeyFile?: string;
  jurisdictionKeyPublicKeyFile?: string;
  /** TLS with client certificates on this subgraph's port; undefined: plain HTTP. */
  tls?: SubgraphServerTls;
}

export interface GatewayClientTls {
  /** The CA that signed the subgraphs' server certificates. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** All of a group of settings or none: TLS half configured is a mistake, not a choice. */
function allOrNone<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]: string } | undefined {
  const set = Object.entries(values).filter(([, value]) => value !== undefined);
  if (set.length === 0) return undefined;
  if (set.length < Object.keys(values).length) {
    const missing = Object.keys(values).filter((name) => values[name] === undefined);
    throw new ConfigError([`${missing.join(', ')}: required with ${set.map(([name]) => name).join(', ')} (TLS needs all of them)`]);
  }
  return values as { [K in keyof T]: string };
}

export function loadSubgraphLinkSecurity(env: Env): SubgraphLinkSecurity {
  const dev = devKeyPaths(devDirectory(env));
  // In production unset stays unset: a subgraph whose schema needs the key refuses to start without it.
  const devDefault = (path: string) => (isProduction(env) ? z.string().optional() : z.string().default(path));
  const v = read(
    {
      JURISDICTION_KEY_PRIVATE_KEY_FILE: devDefault(dev.jurisdictionPrivateKey),
      JURISDICTION_KEY_PUBLIC_KEY_FILE: devDefault(dev.jurisdictionPublicKey),
      SUBGRAPH_TLS_CERT_FILE: z.string().optional(),
      SUBGRAPH_TLS_KEY_FILE: z.string().optional(),
      SUBGRAPH_TLS_CLIENT_CA_FILE: z.string().optional(),
    },
    env,
  );
  const tls = allOrNone({ SUBGRAPH_TLS_CERT_FILE: v.SUBGRAPH_TLS_CERT_FILE, SUBGRAPH_TLS_KEY_FILE: v.SUBGRAPH_TLS_KEY_FILE, SUBGRAPH_TLS_CLIENT_CA_FILE: v.SUBGRAPH_TLS_CLIENT_CA_FILE });
  return {
    jurisdictionKeyPrivateKeyFile: v.JURISDICTION_KEY_PRIVATE_KEY_FILE,
    jurisdictionKeyPublicKeyFile: v.JURISDICTION_KEY_PUBLIC_KEY_FILE,
    tls: tls && { certFile: tls.SUBGRAPH_TLS_CERT_FILE, keyFile: tls.SUBGRAPH_TLS_KEY_FILE, clientCaFile: tls.SUBGRAPH_TLS_CLIENT_CA_FILE },
  };
}

export function loadGatewayClientTls(env: Env): GatewayClientTls | undefined {
  const v = read({ SUBGRAPH_TLS_CA_FILE: z.string().optional(), GATEWAY_TLS_CERT_FILE: z.string().optional(), GATEWAY_TLS_KEY_FILE: z.string().optional() }, env);
  const tls = allOrNone({ SUBGRAPH_TLS_CA_FILE: v.SUBGRAPH_TLS_CA_FILE, GATEWAY_TLS_CERT_FILE: v.GATEWAY_TLS_CERT_FILE, GATEWAY_TLS_KEY_FILE: v.GATEWAY_TLS_KEY_FILE });
  return tls && { caFile: tls.SUBGRAPH_TLS_CA_FILE, certFile: tls.GATEWAY_TLS_CERT_FILE, keyFile: tls.GATEWAY_TLS_KEY_FILE };
}
