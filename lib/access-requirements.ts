/**
 * Access requirements as the subgraphs declared them with Federation's @authenticated and
 * @requiresScopes and the product's @personal (lib/schema-directives.ts), read back out of the
 * composed supergraph: by the gateway to enforce them and by the schema build to leave the
 * gateway's internal fields out of the public API schema.
 */
import { ConstDirectiveNode, Kind, ObjectTypeDefinitionNode, ObjectTypeExtensionNode, parse } from 'graphql';
import { declaredScopes, DirectiveNames, directiveNames, PersonalDeclaration, personalDeclaration } from './schema-directives';

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
  /** `Type.field` coordinates of every entity type's key fields. */
  keyFields: ReadonlySet<string>;
  /** @personal, by coordinate: `Type` for personal record types, `Type.field` for fields. */
  personal: ReadonlyMap<string, PersonalDeclaration>;
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined, names: DirectiveNames): Requirement | undefined {
  const scopes = declaredScopes(directives, names);
  return scopes === null ? undefined : { authenticated: true, scopes };
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
  const names = directiveNames(document);
  const keyFields = new Set<string>();
  const personal = new Map<string, PersonalDeclaration>();
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
    for (const join of type.directives ?? []) {
      const key = join.name.value === 'join__type' ? join.arguments?.find((a) => a.name.value === 'key')?.value : undefined;
      if (key?.kind !== Kind.STRING) continue;
      entityTypes.add(type.name.value);
      // Simple keys only (`personalId`, `code`): the product's entities have no compound keys.
      for (const field of key.value.split(/\s+/).filter(Boolean)) keyFields.add(`${type.name.value}.${field}`);
    }
    const typePersonal = personalDeclaration(type.directives, names);
    if (typePersonal) personal.set(type.name.value, typePersonal);
    const typeRequirement = requirementOf(type.directives, names);
    if (typeRequirement) requirements.set(type.name.value, typeRequirement);
    // A type one subgraph alone defines carries no join__field: its fields are that subgraph's.
    const typeGraphs = graphsOf(type.directives, 'join__type', graphNames);
    for (const field of type.fields ?? []) {
      const coordinate = `${type.name.value}.${field.name.value}`;
      const fieldRequirement = requirementOf(field.directives, names);
      if (fieldRequirement) requirements.set(coordinate, fieldRequirement);
      const fieldPersonal = personalDeclaration(field.directives, names);
      if (fieldPersonal) personal.set(coordinate, fieldPersonal);
      const graphs = graphsOf(field.directives, 'join__field', graphNames);
      owners.set(coordinate, graphs.length > 0 ? graphs : typeGraphs);
    }
  }
  return {
    get: (coordinate) => requirements.get(coordinate),
    ownersOf: (coordinate) => owners.get(coordinate) ?? [],
    entityTypes,
    keyFields,
    personal,
  };
}
