/**
 * Access requirements as the subgraphs declared them with Federation's @authenticated and
 * @requiresScopes, read back out of the composed supergraph. The supergraph keeps the
 * directives; `acceptSecurityFeatures` only lifts @apollo/gateway's refusal to load a
 * supergraph whose `@link` marks them `for: SECURITY`, because this module is what enforces them.
 */
import {
  ArgumentNode,
  ConstDirectiveNode,
  DocumentNode,
  Kind,
  ObjectTypeDefinitionNode,
  ObjectTypeExtensionNode,
  parse,
  print,
  visit,
} from 'graphql';

const AUTHENTICATED_SPEC = 'https://specs.apollo.dev/authenticated/';
const REQUIRES_SCOPES_SPEC = 'https://specs.apollo.dev/requiresScopes/';

export interface Requirement {
  authenticated: boolean;
  /** Alternatives (OR) of scope sets (AND); empty when no scope is required. */
  scopes: string[][];
}

export interface AccessRequirements {
  /** By schema coordinate: `Type.field` for fields, `Type` for types. */
  get(coordinate: string): Requirement | undefined;
  /** Which subgraphs resolve `Type.field` (from join__field), for the audit record. */
  ownersOf(coordinate: string): string[];
  /** Types with a federation key: records that other records point to. */
  entityTypes: ReadonlySet<string>;
}

function linkUrl(directive: ConstDirectiveNode): string | null {
  const url = directive.arguments?.find((a) => a.name.value === 'url')?.value;
  return url?.kind === Kind.STRING ? url.value : null;
}

/** Which names @authenticated / @requiresScopes carry in this supergraph (they can be renamed by @link). */
function securityDirectiveNames(document: DocumentNode): { authenticated: string; requiresScopes: string } {
  const names = { authenticated: 'authenticated', requiresScopes: 'requiresScopes' };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = linkUrl(directive) ?? '';
      const as = directive.arguments?.find((a) => a.name.value === 'as')?.value;
      const alias = as?.kind === Kind.STRING ? as.value : null;
      if (url.startsWith(AUTHENTICATED_SPEC) && alias) names.authenticated = alias;
      if (url.startsWith(REQUIRES_SCOPES_SPEC) && alias) names.requiresScopes = alias;
    }
  }
  return names;
}

function readScopes(argument: ArgumentNode | undefined): string[][] {
  if (argument?.value.kind !== Kind.LIST) return [];
  return argument.value.values.map((alternative) =>
    alternative.kind === Kind.LIST ? alternative.values.flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : [])) : [],
  );
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined, names: { authenticated: string; requiresScopes: string }): Requirement | undefined {
  let authenticated = false;
  let scopes: string[][] = [];
  for (const directive of directives ?? []) {
    if (directive.name.value === names.authenticated) authenticated = true;
    if (directive.name.value === names.requiresScopes) {
      scopes = readScopes(directive.arguments?.find((a) => a.name.value === 'scopes'));
      authenticated = true;
    }
  }
  return authenticated ? { authenticated, scopes } : undefined;
}

/** The subgraphs named by a type's join__type or a field's join__field directives. */
function graphsOf(directives: readonly ConstDirectiveNode[] | undefined, name: 'join__type' | 'join__field', graphNames: ReadonlyMap<string, string>): string[] {
  return (directives ?? [])
    .filter((d) => d.name.value === name)
    .flatMap((d) => {
      const graph = d.arguments?.find((a) => a.name.value === 'graph')?.value;
      return graph?.kind === Kind.ENUM ? [graphNames.get(graph.value) ?? graph.value] : [];
    });
}

export function extractAccessRequirements(supergraphSdl: string): AccessRequirements {
  const document = parse(supergraphSdl);
  const names = securityDirectiveNames(document);
  const requirements = new Map<string, Requirement>();
  const owners = new Map<string, string[]>();
  const graphNames = new Map<string, string>();
  const entityTypes = new Set<string>();

  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const graph = value.directives?.find((d) => d.name.value === 'join__graph');
        const name = graph?.arguments?.find((a) => a.name.value === 'name')?.value;
        if (name?.kind === Kind.STRING) graphNames.set(value.name.value, name.value);
      }
    }
  }

  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    if (type.directives?.some((d) => d.name.value === 'join__type' && d.arguments?.some((a) => a.name.value === 'key'))) {
      entityTypes.add(type.name.value);
    }
    const typeRequirement = requirementOf(type.directives, names);
    if (typeRequirement) requirements.set(type.name.value, typeRequirement);
    // A type one subgraph alone defines carries no join__field: its fields are that subgraph's.
    const typeGraphs = graphsOf(type.directives, 'join__type', graphNames);
    for (const field of type.fields ?? []) {
      const coordinate = `${type.name.value}.${field.name.value}`;
      const fieldRequirement = requirementOf(field.directives, names);
      if (fieldRequirement) requirements.set(coordinate, fieldRequirement);
      const graphs = graphsOf(field.directives, 'join__field', graphNames);
      owners.set(coordinate, graphs.length > 0 ? graphs : typeGraphs);
    }
  }
  return {
    get: (coordinate) => requirements.get(coordinate),
    ownersOf: (coordinate) => owners.get(coordinate) ?? [],
    entityTypes,
  };
}

/**
 * The supergraph as the gateway should load it: identical, except that the `@link`s of the two
 * security features this module enforces no longer say `for: SECURITY`. Any other SECURITY
 * feature (one nothing here enforces) is left as is, so the gateway still refuses it.
 */
export function acceptSecurityFeatures(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  let changed = false;
  const accepted = visit(document, {
    Directive(node) {
      if (node.name.value !== 'link') return undefined;
      const url = linkUrl(node as ConstDirectiveNode) ?? '';
      if (!url.startsWith(AUTHENTICATED_SPEC) && !url.startsWith(REQUIRES_SCOPES_SPEC)) return undefined;
      changed = true;
      return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') };
    },
  });
  return changed ? print(accepted) : supergraphSdl;
}
