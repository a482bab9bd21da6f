/**
 * Before planning: takes out of the operation every field the caller may not read, and adds the
 * hidden selections the gateway needs to check jurisdiction and write the audit record (a
 * citizen's personalId and jurisdiction key). The result also carries a ResponsePlan: where the
 * removed fields go back as `null` and which hidden fields to read and strip afterwards
 * (see response-settler.ts).
 *
 * The filtering depends only on the document and on what the caller holds (scopes, purpose,
 * signed in or not), so its result is cached per (query, access) pair.
 */
import {
  DirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLSchema,
  isCompositeType,
  isNonNullType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import type { Principal } from '../../lib/principal';
import type { AccessPolicy } from './policy';

/** Aliases the gateway adds for itself; a client may not use the prefix. */
export const HIDDEN_PREFIX = 'gw__';
export const HIDDEN = {
  typename: `${HIDDEN_PREFIX}typename`,
  personalId: `${HIDDEN_PREFIX}pid`,
  jurisdictionKey: `${HIDDEN_PREFIX}jk`,
  headPersonalId: `${HIDDEN_PREFIX}head`,
} as const;

export interface Refusal {
  code: 'FORBIDDEN' | 'UNAUTHENTICATED';
  reason: 'NOT_AUTHENTICATED' | 'MISSING_SCOPE' | 'PURPOSE_REQUIRED';
  message: string;
  /** The scopes the caller lacks, space-separated. */
  scope?: string;
}

export interface Removal extends Refusal {
  responseKey: string;
  coordinate: string;
  nonNull: boolean;
  /** @skip / @include on the removed field, decided with the request's variables afterwards. */
  conditions: readonly DirectiveNode[];
}

/** Which kind of personal record an object is, for jurisdiction and audit. */
export type RecordKind = 'citizen' | 'household';

export interface PlanNode {
  typeName: string;
  record: RecordKind | null;
  removals: Removal[];
  /** Fields kept, by response key → schema coordinate (for the audit record). */
  fields: Map<string, string>;
  children: Map<string, { type: GraphQLOutputType; node: PlanNode }>;
  /** Response keys the gateway added and strips before answering. */
  hidden: string[];
  /** Query.accessLog's personalId argument, audited as a read of that citizen's history. */
  auditedArguments: Map<string, { coordinate: string; value: ValueNode }>;
}

export interface FilteredOperation {
  document: DocumentNode;
  plan: PlanNode;
  /** True when the document differs from the client's. */
  changed: boolean;
}

export class OperationRefused extends Error {}

/** Selects nothing of the record but its key (and __typename). */
function isBareReference(node: PlanNode, policy: AccessPolicy): boolean {
  if (node.children.size > 0 || node.removals.length > 0) return false;
  for (const coordinate of node.fields.values()) if (!policy.isKeyField(coordinate)) return false;
  return true;
}

function newNode(typeName: string, record: RecordKind | null): PlanNode {
  return { typeName, record, removals: [], fields: new Map(), children: new Map(), hidden: [], auditedArguments: new Map() };
}

function hiddenField(alias: string, name: string): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name } };
}

function conditionsOf(directives: readonly DirectiveNode[] | undefined): DirectiveNode[] {
  return (directives ?? []).filter((d) => d.name.value === 'skip' || d.name.value === 'include');
}

export function filterOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  principal: Principal | null,
  policy: AccessPolicy,
): FilteredOperation {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)) {
      operation ??= definition;
    }
  }
  if (!operation) throw new OperationRefused('The document has no operation by that name');
  const rootType = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!rootType) throw new OperationRefused(`This API has no ${operation.operation} operations`);

  let changed = false;

  const filterSelections = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLObjectType,
    node: PlanNode,
    seenFragments: ReadonlySet<string>,
    /** @skip/@include of the fragments this selection set sits in. */
    inheritedConditions: readonly DirectiveNode[] = [],
  ): SelectionNode[] => {
    const kept: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD || selection.kind === Kind.INLINE_FRAGMENT) {
        // Spreads become inline fragments: the same fragment may be allowed in one place and
        // not in another, so each use is filtered where it stands.
        let fragmentSelections: SelectionSetNode;
        let typeName: string | undefined;
        let seen = seenFragments;
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment = fragments.get(selection.name.value);
          if (!fragment || seenFragments.has(fragment.name.value)) continue;
          fragmentSelections = fragment.selectionSet;
          typeName = fragment.typeCondition.name.value;
          seen = new Set([...seenFragments, fragment.name.value]);
          changed = true;
        } else {
          fragmentSelections = selection.selectionSet;
          typeName = selection.typeCondition?.name.value;
        }
        const conditionType = typeName ? schema.getType(typeName) : parentType;
        // Only object types exist in this API; a fragment on another type cannot apply here.
        if (!isObjectType(conditionType) || conditionType.name !== parentType.name) {
          changed = true;
          continue;
        }
        const inner = filterSelections(fragmentSelections, parentType, node, seen, [...inheritedConditions, ...conditionsOf(selection.directives)]);
        if (inner.length > 0) {
          kept.push({
            kind: Kind.INLINE_FRAGMENT,
            typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: parentType.name } },
            directives: selection.directives,
            selectionSet: { kind: Kind.SELECTION_SET, selections: inner },
          });
        }
        continue;
      }

      const field = selection;
      const name = field.name.value;
      const responseKey = field.alias?.value ?? name;
      if (responseKey.startsWith(HIDDEN_PREFIX)) {
        throw new OperationRefused(`Response names starting with "${HIDDEN_PREFIX}" are reserved by the gateway`);
      }
      if (name.startsWith('__')) {
        kept.push(field);
        continue;
      }
      const definition = parentType.getFields()[name];
      if (!definition) {
        kept.push(field);
        continue;
      }
      const coordinate = `${parentType.name}.${name}`;
      const returnType = getNamedType(definition.type);
      const refusal = policy.check(principal, parentType.name, name, returnType.name);
      if (refusal) {
        node.removals.push({
          ...refusal,
          responseKey,
          coordinate,
          nonNull: isNonNullType(definition.type),
          conditions: [...inheritedConditions, ...conditionsOf(field.directives)],
        });
        changed = true;
        continue;
      }
      node.fields.set(responseKey, coordinate);
      const audited = policy.auditedArgument(coordinate);
      if (audited) {
        const argument = field.arguments?.find((a) => a.name.value === audited);
        if (argument) node.auditedArguments.set(responseKey, { coordinate, value: argument.value });
      }
      if (!field.selectionSet || !isCompositeType(returnType) || !isObjectType(returnType)) {
        kept.push(field);
        continue;
      }
      const child = node.children.get(responseKey)?.node ?? newNode(returnType.name, policy.recordKind(returnType.name));
      node.children.set(responseKey, { type: definition.type, node: child });
      const inner = filterSelections(field.selectionSet, returnType, child, seenFragments);
      // A bare reference inside a record (a spouse's or co-owner's personalId) is part of the
      // record that holds it, not a read of another person's: no jurisdiction lookup, no audit
      // entry of its own. At the root it is a look-up by ID and is checked like any record.
      if (child.record && parentType !== rootType && isBareReference(child, policy)) child.record = null;
      inner.push(...hiddenSelections(child));
      if (inner.length === 0) {
        inner.push(hiddenField(HIDDEN.typename, '__typename'));
        if (!child.hidden.includes(HIDDEN.typename)) child.hidden.push(HIDDEN.typename);
      }
      kept.push({ ...field, selectionSet: { kind: Kind.SELECTION_SET, selections: inner } });
    }
    return kept;
  };

  /** What the gateway reads for itself on every personal record: who it is and where they live. */
  const hiddenSelections = (node: PlanNode): FieldNode[] => {
    if (!node.record) return [];
    changed = true;
    const add = (alias: string) => {
      if (!node.hidden.includes(alias)) node.hidden.push(alias);
    };
    add(HIDDEN.jurisdictionKey);
    if (node.record === 'citizen') {
      add(HIDDEN.personalId);
      return [hiddenField(HIDDEN.personalId, 'personalId'), hiddenField(HIDDEN.jurisdictionKey, 'jurisdictionKey')];
    }
    add(HIDDEN.headPersonalId);
    return [hiddenField(HIDDEN.jurisdictionKey, 'jurisdictionKey'), hiddenField(HIDDEN.headPersonalId, 'headPersonalId')];
  };

  const plan = newNode(rootType.name, null);
  const selections = filterSelections(operation.selectionSet, rootType, plan, new Set());
  if (selections.length === 0) {
    selections.push(hiddenField(HIDDEN.typename, '__typename'));
    plan.hidden.push(HIDDEN.typename);
  }
  if (!changed) return { document, plan, changed };
  const filteredOperation: OperationDefinitionNode = {
    ...operation,
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
  // Fragments were inlined where allowed; the filtered document is the one operation alone.
  return { document: { kind: Kind.DOCUMENT, definitions: [filteredOperation] }, plan, changed };
}
