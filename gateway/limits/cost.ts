/**
 * The cost limit: before execution, an estimate of how many records a query makes the gateway
 * fetch and build, counting list sizes. Each object (a field with a selection) costs 1; its leaf
 * fields come with it from the same source record and cost nothing; a list field multiplies
 * everything under it by its size:
 *  - `citizens(personalIds: […])`: one item per ID (any list field with a list argument);
 *  - `residents(first: n)`, `accessLog(first: n)`: n items (the argument's default when absent);
 *    on a connection the size applies to its lists (`nodes`);
 *  - a list without a size argument: the most a real answer holds (ASSUMED_LIST_SIZES), or 10;
 *  - an object computed over many records is priced as that many (COMPUTED_OVER): a province's
 *    indicators read every commune of it from the sources.
 * Variables are read for sizes, so an operation that sizes a list by one is priced per request;
 * one whose sizes are all written in it (a dossier's) is priced once and remembered. Introspection
 * and `__typename` cost nothing: they are bounded by the schema, not by the data.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLArgument,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  valueFromASTUntyped,
  ValueNode,
} from 'graphql';
import { LimitRejectionListener, limitError } from './errors';
import { withOperationDefaults } from '../variable-defaults';

/** Lists the schema leaves unbounded, sized by the largest real answer. */
export const ASSUMED_LIST_SIZES: Readonly<Record<string, number>> = {
  'Query.provinces': 34,
  'Province.communes': 168, // the largest province after the 2025 reorganisation
  'Household.members': 10,
  'Citizen.landRights': 5,
  'LandParcel.owners': 5,
  'CivilStatus.marriages': 3,
  'BudgetSection.lines': 20,
};
export const DEFAULT_LIST_SIZE = 10;

/** Objects the subgraphs compute by reading many records, priced as that many: what they cost the sources. */
export const COMPUTED_OVER: Readonly<Record<string, number>> = {
  'Province.indicators': ASSUMED_LIST_SIZES['Province.communes'],
};

/** Arguments that say how many items a list or connection holds. */
const SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);
/** Past this the number is only "too much"; it also keeps the sum finite. */
const COST_CEILING = 1e12;

type Variables = Record<string, unknown>;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
  /** Fragments being expanded on the current path (validation forbids cycles; this is a guard). */
  expanding: Set<string>;
  /** Set when a size came from a variable: the cost then holds for these variables only. */
  readVariable: boolean;
}

function containsVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(containsVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((field) => containsVariable(field.value));
  return false;
}

function argumentValue(walk: Walk, field: FieldNode, argument: GraphQLArgument): unknown {
  const node = field.arguments?.find((a) => a.name.value === argument.name);
  if (!node) return argument.defaultValue;
  if (containsVariable(node.value)) walk.readVariable = true;
  // A variable the request left out takes the argument's default, as execution would.
  if (node.value.kind === Kind.VARIABLE && !(node.value.name.value in walk.variables)) return argument.defaultValue;
  return valueFromASTUntyped(node.value, walk.variables);
}

/** How many items this field asks for, when its arguments say; null when they do not. */
function requestedSize(walk: Walk, field: FieldNode, definition: GraphQLField<unknown, unknown>): number | null {
  const returnsList = isListType(getNullableType(definition.type));
  for (const argument of definition.args) {
    const sizes = SIZE_ARGUMENTS.has(argument.name);
    const lists = returnsList && isListType(getNullableType(argument.type));
    if (!sizes && !lists) continue; // read only the arguments that can size the field
    const value = argumentValue(walk, field, argument);
    if (sizes && typeof value === 'number' && Number.isFinite(value)) {
      return Math.max(0, Math.floor(value));
    }
    if (lists && value !== undefined && value !== null) {
      // A single value where a list is expected is coerced to a list of one.
      return Array.isArray(value) ? value.length : 1;
    }
  }
  return null;
}

function fieldCost(walk: Walk, field: FieldNode, parentType: GraphQLCompositeType, inheritedSize: number | null): number {
  const name = field.name.value;
  if (name.startsWith('__')) return 0;
  const definition = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
  if (!definition) return 0;
  const returnType = getNullableType(definition.type);
  const namedType = getNamedType(definition.type);
  const requested = requestedSize(walk, field, definition);

  let multiplier = COMPUTED_OVER[`${parentType.name}.${name}`] ?? 1;
  let sizeForChildren: number | null = null;
  if (isListType(returnType)) {
    multiplier = requested ?? inheritedSize ?? ASSUMED_LIST_SIZES[`${parentType.name}.${name}`] ?? DEFAULT_LIST_SIZE;
  } else if (requested !== null) {
    sizeForChildren = requested; // a connection: its lists hold `requested` items
  }
  if (!field.selectionSet || !isCompositeType(namedType)) return 0;
  return Math.min(COST_CEILING, multiplier * (1 + selectionCost(walk, field.selectionSet, namedType, sizeForChildren)));
}

function selectionCost(walk: Walk, selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, inheritedSize: number | null): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(walk, selection, parentType, inheritedSize);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parentType;
      if (type && isCompositeType(type)) total += selectionCost(walk, selection.selectionSet, type, inheritedSize);
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      const type = fragment && walk.schema.getType(fragment.typeCondition.name.value);
      if (!fragment || !type || !isCompositeType(type) || walk.expanding.has(fragment.name.value)) continue;
      walk.expanding.add(fragment.name.value);
      total += selectionCost(walk, fragment.selectionSet, type, inheritedSize);
      walk.expanding.delete(fragment.name.value);
    }
    if (total >= COST_CEILING) return COST_CEILING;
  }
  return total;
}

/**
 * Costs that hold whatever the variables, by schema and operation node: Apollo Server hands the
 * same parsed document to every request with the same query text.
 */
const fixedCosts = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, number>>();

/** The estimated cost of `operation` in `document` with these variables. */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: unknown): number {
  let known = fixedCosts.get(schema);
  const fixed = known?.get(operation);
  if (fixed !== undefined) return fixed;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const given = typeof variables === 'object' && variables !== null && !Array.isArray(variables) ? (variables as Variables) : {};
  // A variable the request leaves out is priced at the operation's default, as execution runs it.
  const walk: Walk = { schema, fragments, variables: withOperationDefaults(operation, given), expanding: new Set(), readVariable: false };
  const cost = selectionCost(walk, operation.selectionSet, rootType, null);
  if (!walk.readVariable) {
    if (!known) fixedCosts.set(schema, (known = new WeakMap()));
    known.set(operation, cost);
  }
  return cost;
}

export function costLimitPlugin(maxCost: number, onReject?: LimitRejectionListener): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        // Synchronous up to the throw, and placed before the access plugin: it prices the
        // caller's own operation, before that plugin rewrites it.
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return; // refused by operation-resolution.ts
          const cost = operationCost(schema, document, operation, request.variables);
          if (cost > maxCost) {
            onReject?.('QUERY_TOO_COSTLY');
            const shown = cost >= COST_CEILING ? `more than ${COST_CEILING}` : String(cost);
            throw limitError(
              'QUERY_TOO_COSTLY',
              `The query's estimated cost is ${shown}, above the limit of ${maxCost}. Ask for fewer items (first, personalIds) or fewer nested lists, or split the query.`,
            );
          }
        },
      };
    },
  };
}
