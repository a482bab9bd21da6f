/**
 * Composes the subgraph schemas listed in rover.yaml into a supergraph, the way
 * `rover supergraph compose` does, with @apollo/composition, and derives the public API schema.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import YAML from 'yaml';
import { readSubgraphSdl } from '../lib/subgraph-sdl';
import { printApiSchema } from './api-schema';

export interface SupergraphConfigEntry {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

/** Reads rover.yaml; paths in it are relative to the file, as Rover resolves them. */
export function readSupergraphConfig(roverYamlPath: string): SupergraphConfigEntry[] {
  const doc = YAML.parse(readFileSync(roverYamlPath, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  if (!doc?.subgraphs) throw new Error(`${roverYamlPath}: no "subgraphs" section`);
  return Object.entries(doc.subgraphs).map(([name, entry]) => {
    if (!entry.routing_url || !entry.schema?.file) {
      throw new Error(`${roverYamlPath}: subgraph "${name}" needs routing_url and schema.file`);
    }
    return { name, routingUrl: entry.routing_url, schemaFile: resolve(dirname(roverYamlPath), entry.schema.file) };
  });
}

export type CompositionOutcome =
  | { ok: true; supergraphSdl: string; /** schema/api.graphql: what clients see. */ apiSchemaSdl: string }
  | { ok: false; errors: string[] };

export function composeFromConfig(roverYamlPath: string): CompositionOutcome {
  const services = readSupergraphConfig(roverYamlPath).map((entry) => ({
    name: entry.name,
    url: entry.routingUrl,
    typeDefs: parse(readSubgraphSdl(entry.schemaFile)),
  }));
  const result = composeServices(services);
  if (result.errors) {
    return { ok: false, errors: result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`) };
  }
  const supergraphSdl = result.supergraphSdl.trimEnd() + '\n';
  return { ok: true, supergraphSdl, apiSchemaSdl: printApiSchema(result.schema, supergraphSdl) };
}
