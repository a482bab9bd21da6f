/**
 * A subgraph's SDL as served and composed: its own schema.graphql plus the shared definitions it
 * uses (schema-fragments/provenance.graphql, personal.graphql, units.graphql and household.graphql), so each is written once yet
 * every subgraph's SDL still holds the definitions Federation needs. A shared definition is added
 * only when the subgraph refers to it and does not define it itself; what it refers to in turn
 * comes along.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASTNode, DefinitionNode, Kind, parse, print, visit } from 'graphql';

const FRAGMENT_FILES = ['provenance.graphql', 'personal.graphql', 'units.graphql', 'household.graphql'].map((file) => join(__dirname, 'schema-fragments', file));

/** The name a definition introduces; directives as `@name`, so they cannot clash with types. */
function definedName(definition: DefinitionNode): string | undefined {
  if (definition.kind === Kind.DIRECTIVE_DEFINITION) return `@${definition.name.value}`;
  return 'name' in definition && definition.name ? definition.name.value : undefined;
}

function referencedNames(node: ASTNode): string[] {
  const names: string[] = [];
  visit(node, {
    NamedType: (named) => void names.push(named.name.value),
    Directive: (directive) => void names.push(`@${directive.name.value}`),
  });
  return names;
}

let shared: DefinitionNode[] | undefined;

function sharedDefinitions(): DefinitionNode[] {
  shared ??= FRAGMENT_FILES.flatMap((file) => parse(readFileSync(file, 'utf8')).definitions);
  return shared;
}

/** `sdl` with the shared definitions it uses appended, in the fragments' order. */
export function withSharedDefinitions(sdl: string): string {
  const own = parse(sdl);
  const defined = new Set(own.definitions.map(definedName));
  const byName = new Map(sharedDefinitions().map((definition) => [definedName(definition), definition]));
  const added = new Set<DefinitionNode>();
  const pending = referencedNames(own);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const definition = byName.get(name);
    if (!definition || defined.has(name) || added.has(definition)) continue;
    added.add(definition);
    pending.push(...referencedNames(definition));
  }
  if (added.size === 0) return sdl;
  const appended = sharedDefinitions().filter((definition) => added.has(definition));
  return `${sdl.trimEnd()}\n\n${appended.map((definition) => print(definition)).join('\n\n')}\n`;
}

/** Reads a subgraph's schema.graphql with the shared definitions it uses. */
export function readSubgraphSdl(schemaFile: string): string {
  return withSharedDefinitions(readFileSync(schemaFile, 'utf8'));
}
