/**
 * The public API schema (schema/api.graphql): what clients see and generate code from. It is the
 * composed supergraph's API schema (no join__/link__ machinery, nothing @inaccessible) without the
 * gateway's internal fields, whose only scope is one no token can hold, printed with types sorted
 * by name so that the same subgraphs always give the same file.
 */
import { buildASTSchema, DefinitionNode, GraphQLSchema, parse, printSchema, visit } from 'graphql';
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
  const sorted = { ...publicOnly, definitions: [...publicOnly.definitions].sort((a, b) => byName(a).localeCompare(byName(b), 'en')) };
  return HEADER + '\n' + printSchema(buildASTSchema(sorted)) + '\n';
}
