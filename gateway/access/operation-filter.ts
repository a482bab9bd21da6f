/**
 * Before planning: takes out of the operation every field the caller may not read, and adds the
 * hidden selections the gateway needs to check jurisdiction and write the audit record: each
 * personal record's subjects and jurisdiction key (as @personal declares them), the jurisdiction
 * of a record whose people a field lists, and a look-up of the person a field's argument names. The result also carries a ResponsePlan: where the
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
  isAbstractType,
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
import type { AccessPolicy, PersonalRecordType, Refusal } from './policy';

/** Aliases the gateway adds for itself; a client may not use the prefix. */
export const HIDDEN_PREFIX = 'gw__';
export const HIDDEN = {
  typename: `${HIDDEN_PREFIX}typename`,
  /** A personal record's subjects: the personal ID(s) of the people it is about. */
  subject: `${HIDDEN_PREFIX}sub`,
  jurisdictionKey: `${HIDDEN_PREFIX}jk`,
  /** The jurisdiction of a record whose people a listing field returns. */
  listingJurisdiction: `${HIDDEN_PREFIX}ljk`,
  /** Root look-ups of the people named by arguments: `gw__loc0`, `gw__loc1`, … */
  locator: `${HIDDEN_PREFIX}loc`,
} as const;

export interface Removal extends Refusal {
  responseKey: string;
  coordinate: string;
  nonNull: boolean;
  /** @skip / @include on the removed field, decided with the request's variables afterwards. */
  conditions: readonly DirectiveNode[];
}

/** A field whose argument names the person it reveals data about (an access history). */
export interface SubjectArgument {
  coordinate: string;
  value: ValueNode;
  /** The hidden root selection that locates that person. */
  locator: string;
  nonNull: boolean;
}

export interface PlanNode {
  typeName: string;
  /** A personal record: judged against the caller's jurisdiction, and audited. */
  record: PersonalRecordType | null;
  /**
   * Only the record's key, inside another record (a spouse's or co-owner's personalId): a read
   * of that person, audited, but part of the record that holds it for jurisdiction.
   */
  reference: boolean;
  /** At the root, a look-up by ID: unknown and outside the jurisdiction must look alike. */
  lookup: boolean;
  removals: Removal[];
  /** Fields kept, by response key → schema coordinate (for the audit record). */
  fields: Map<string, string>;
  children: Map<string, { type: GraphQLOutputType; node: PlanNode }>;
  /** Response keys the gateway added and strips before answering. */
  hidden: string[];
  /** Fields listing the people of this record's jurisdiction (strictly inside), by response key. */
  listings: Map<string, { coordinate: string; nonNull: boolean }>;
  /** Fields naming a person by argument (root only), by response key. */
  subjectArguments: Map<string, SubjectArgument>;
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

function newNode(typeName: string, record: PersonalRecordType | null): PlanNode {
  return {
    typeName,
    record,
    reference: false,
    lookup: false,
    removals: [],
    fields: new Map(),
    children: new Map(),
    hidden: [],
    listings: new Map(),
    subjectArguments: new Map(),
  };
}

function hiddenField(alias: string, name: string, extra: Partial<FieldNode> = {}): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name }, ...extra };
}

function addHidden(node: PlanNode, alias: string): void {
  if (!node.hidden.includes(alias)) node.hidden.push(alias);
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
        } else {
          fragmentSelections = selection.selectionSet;
          typeName = selection.typeCondition?.name.value;
        }
        const conditionType = typeName ? schema.getType(typeName) : parentType;
        // A fragment applies here when its type is this object type, or an interface or union
        // this type belongs to; on any other type it selects nothing here.
        const applies =
          conditionType === parentType || (!!conditionType && isAbstractType(conditionType) && schema.isSubType(conditionType, parentType));
        if (!applies) continue;
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
      const declared = policy.personalField(coordinate);
      if (declared?.subject) locate(field, declared.subject, declared.locatedBy, node, responseKey, coordinate, isNonNullType(definition.type));
      if (declared?.listing && declared.jurisdiction) {
        node.listings.set(responseKey, { coordinate, nonNull: isNonNullType(definition.type) });
        if (!node.hidden.includes(HIDDEN.listingJurisdiction)) {
          addHidden(node, HIDDEN.listingJurisdiction);
          kept.push(hiddenField(HIDDEN.listingJurisdiction, declared.jurisdiction));
          changed = true;
        }
      }
      if (!field.selectionSet || !isCompositeType(returnType)) {
        kept.push(field);
        continue;
      }
      if (!isObjectType(returnType)) {
        // This API has no interfaces or unions; should one appear, its personal members must
        // be filtered type by type, which this filter does not do: refuse rather than leak.
        if (schema.getPossibleTypes(returnType).some((t) => policy.isPersonalType(t.name))) {
          throw new OperationRefused(`${coordinate} returns an abstract type with personal members, which the gateway cannot yet filter`);
        }
        kept.push(field);
        continue;
      }
      const typeRecord = policy.record(returnType.name);
      const child = node.children.get(responseKey)?.node ?? newNode(returnType.name, typeRecord);
      node.children.set(responseKey, { type: definition.type, node: child });
      const inner = filterSelections(field.selectionSet, returnType, child, seenFragments);
      const occurrences = occurrencesOf.get(child) ?? [];
      occurrences.push(inner);
      occurrencesOf.set(child, occurrences);
      if (typeRecord && parentType !== rootType) {
        // A bare reference inside a record (a spouse's or co-owner's personalId) names that
        // person: a read of them, audited, but judged with the record that holds it. A key that
        // is not a person's (a household ID) is just part of the record that holds it. Judged
        // over every occurrence of the response key so far, which GraphQL merges into one
        // answer: `spouse { personalId } spouse { fullName }` reads the spouse's record.
        const bare = isBareReference(child, policy);
        child.record = bare && !typeRecord.subjectIsKey ? null : typeRecord;
        child.reference = bare && typeRecord.subjectIsKey;
      }
      child.lookup = !!child.record && parentType === rootType;
      // Every occurrence carries what the node now needs: the one that made it a record may be
      // skipped (@skip/@include) while an earlier one runs.
      for (const selections of occurrences) selections.push(...hiddenSelections(child, selections));
      if (inner.length === 0) {
        inner.push(hiddenField(HIDDEN.typename, '__typename'));
        addHidden(child, HIDDEN.typename);
        changed = true;
      }
      kept.push({ ...field, selectionSet: { kind: Kind.SELECTION_SET, selections: inner } });
    }
    return kept;
  };

  /** The selection sets a node's response key appears with in the filtered document. */
  const occurrencesOf = new Map<PlanNode, SelectionNode[][]>();

  /**
   * What the gateway reads for itself on every personal record (who it is about and where it
   * lies) that `selections` does not select yet.
   */
  const hiddenSelections = (node: PlanNode, selections: readonly SelectionNode[]): FieldNode[] => {
    if (!node.record) return [];
    const needed: [string, string][] = [[HIDDEN.subject, node.record.subject]];
    if (!node.reference) needed.push([HIDDEN.jurisdictionKey, node.record.jurisdiction]);
    const missing = needed.filter(([alias]) => !selections.some((s) => s.kind === Kind.FIELD && s.alias?.value === alias));
    for (const [alias] of missing) addHidden(node, alias);
    if (missing.length > 0) changed = true;
    return missing.map(([alias, name]) => hiddenField(alias, name));
  };

  const plan = newNode(rootType.name, null);
  const locators: FieldNode[] = [];

  /**
   * A field whose argument names a person (an access history) is a read of that person: the
   * gateway looks the person up beside it (`locatedBy`, a root field taking the same argument)
   * to judge the jurisdiction, without reading anything else about them.
   */
  const locate = (
    field: FieldNode,
    argumentName: string,
    locatedBy: string | undefined,
    node: PlanNode,
    responseKey: string,
    coordinate: string,
    nonNull: boolean,
  ) => {
    const argument = field.arguments?.find((a) => a.name.value === argumentName);
    const lookup = locatedBy ? rootType.getFields()[locatedBy] : undefined;
    const located = lookup ? policy.record(getNamedType(lookup.type).name) : null;
    // Only at the root: the look-up sits beside the field, with the same argument.
    if (!argument || node !== plan || !lookup || !located) {
      throw new OperationRefused(`${coordinate} names a person the gateway cannot locate, so it is not served`);
    }
    const alias = `${HIDDEN.locator}${locators.length}`;
    locators.push(
      hiddenField(alias, locatedBy!, {
        arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: argumentName }, value: argument.value }],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [hiddenField(HIDDEN.subject, located.subject), hiddenField(HIDDEN.jurisdictionKey, located.jurisdiction)],
        },
      }),
    );
    addHidden(node, alias);
    node.subjectArguments.set(responseKey, { coordinate, value: argument.value, locator: alias, nonNull });
    changed = true;
  };

  const selections = filterSelections(operation.selectionSet, rootType, plan, new Set());
  selections.push(...locators);
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
