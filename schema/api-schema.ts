/**
 * The public API schema (schema/api.graphql): what clients see and generate code from. It is the
 * composed supergraph's API schema (no join__/link__ machinery, nothing @inaccessible) without the
 * gateway's internal fields, whose only scope is one no token can hold, printed with types sorted
 * by name so that the same subgraphs always give the same file.
 */
import { buildASTSchema, DefinitionNode, GraphQLSchema, Kind, parse, printSchema, visit } from 'graphql';
import { extractAccessRequirements } from '../lib/access-requirements';
import { GATEWAY_INTERNAL_SCOPE } from '../lib/schema-directives';

const HEADER = `# The public API schema of the commune data gateway: what clients see, for code generators
# (GraphQL Code Generator: \`schema: schema/api.graphql\`). Written by \`npm run compose\` from the
# subgraph schemas in rover.yaml; do not edit. Access requirements (scopes) are in the README.
`;

/** Fields only the gateway itself may read: every alternative of their requirement is the internal scope alone. */
function internalFields(supergraphSdl: string, coordinates: string[]): Set<string> {
  const requirements = extractAccessRequirements(supergraphSdl);
  return new Set(
    coordinates.filter((coordinate) => {
      const scopes = requirements.get(coordinate)?.scopes ?? [];
      return scopes.length > 0 && scopes.every((set) => set.length === 1 && set[0] === GATEWAY_INTERNAL_SCOPE);
    }),
  );
}

/** What @apollo/composition's result offers: the supergraph, which can derive its API schema. */
export interface ComposedSupergraph {
  toAPISchema(): { toGraphQLJSSchema(): GraphQLSchema };
}

export function printApiSchema(supergraph: ComposedSupergraph, supergraphSdl: string): string {
  const document = parse(printSchema(supergraph.toAPISchema().toGraphQLJSSchema()));
  const coordinates: string[] = [];
  visit(document, {
    ObjectTypeDefinition(type) {
      for (const field of type.fields ?? []) coordinates.push(`${type.name.value}.${field.name.value}`);
    },
  });
  const internal = internalFields(supergraphSdl, coordinates);
  const publicOnly = visit(document, {
    ObjectTypeDefinition(type) {
      const fields = type.fields?.filter((field) => !internal.has(`${type.name.value}.${field.name.value}`));
      return fields?.length === type.fields?.length ? undefined : { ...type, fields };
    },
  });
  // Types by name; fields as composition orders them (deterministic for one rover.yaml).
  const byName = (d: DefinitionNode) => ('name' in d && d.name ? d.name.value : '');
  const reachable = withoutUnreachableTypes(publicOnly.definitions, byName);
  const sorted = { ...publicOnly, definitions: [...reachable].sort((a, b) => byName(a).localeCompare(byName(b), 'en')) };
  return HEADER + '\n' + printSchema(buildASTSchema(sorted)) + '\n';
}

/**
 * Drops the types only internal fields used (the household book's lines, say): what the root
 * types reach, with directives and scalars, is the public schema.
 */
function withoutUnreachableTypes(definitions: readonly DefinitionNode[], byName: (d: DefinitionNode) => string): DefinitionNode[] {
  const named = new Map(definitions.map((d) => [byName(d), d]));
  const reached = new Set<string>();
  const pending = ['Query', 'Mutation', 'Subscription'].filter((root) => named.has(root));
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    visit(named.get(name)!, {
      NamedType(node) {
        if (!reached.has(node.name.value) && named.has(node.name.value)) pending.push(node.name.value);
      },
    });
  }
  const typeKinds: string[] = [Kind.OBJECT_TYPE_DEFINITION, Kind.INTERFACE_TYPE_DEFINITION, Kind.UNION_TYPE_DEFINITION, Kind.ENUM_TYPE_DEFINITION, Kind.INPUT_OBJECT_TYPE_DEFINITION];
  return definitions.filter((d) => !typeKinds.includes(d.kind) || reached.has(byName(d)));
}
