/**
 * After execution, before the answer leaves: puts `null` (and a FORBIDDEN error) where a field
 * was taken out, nulls any personal record outside the caller's jurisdiction, collects what the
 * audit log must record, and strips the gateway's hidden fields. Nulls travel up to the nearest
 * nullable parent, as GraphQL's own null propagation does.
 */
import {
  GraphQLFormattedError,
  GraphQLOutputType,
  isListType,
  isNonNullType,
  valueFromASTUntyped,
  type DirectiveNode,
} from 'graphql';
import { judgeJurisdiction, parseJurisdictionKey, Principal } from '../../lib/principal';
import { HIDDEN, PlanNode } from './operation-filter';

/** One personal record read in this request: the audit log gets one entry for each. */
export interface RecordRead {
  personalId: string;
  /** Schema coordinates read, e.g. `Citizen.fullName`, `Citizen.civilStatus`. */
  fields: Set<string>;
  /** True when read outside the caller's jurisdiction under a location-independent procedure. */
  locationIndependent: boolean;
}

export interface SettledResponse {
  data: Record<string, unknown> | null;
  errors: GraphQLFormattedError[];
  reads: Map<string, RecordRead>;
}

const NULLED = Symbol('nulled');
/** A position that must be null but whose type forbids it: its parent becomes null instead. */
const INVALID = Symbol('invalid');
const MAX_ERRORS_PER_RULE = 20;

type Path = (string | number)[];

function isIncluded(conditions: readonly DirectiveNode[], variables: Record<string, unknown>): boolean {
  for (const directive of conditions) {
    const argument = directive.arguments?.find((a) => a.name.value === 'if');
    const value = argument ? valueFromASTUntyped(argument.value, variables) : undefined;
    if (directive.name.value === 'skip' && value === true) return false;
    if (directive.name.value === 'include' && value === false) return false;
  }
  return true;
}

export function settleResponse(
  data: Record<string, unknown> | null | undefined,
  plan: PlanNode,
  principal: Principal | null,
  variables: Record<string, unknown>,
): SettledResponse {
  const errors: GraphQLFormattedError[] = [];
  const errorCounts = new Map<string, number>();
  const reads = new Map<string, RecordRead>();

  const refuse = (rule: string, error: GraphQLFormattedError) => {
    // One error per rule and place in the query, not one per list item: 100 citizens without
    // a scope give one error, with the path of the first.
    const count = errorCounts.get(rule) ?? 0;
    errorCounts.set(rule, count + 1);
    if (count < MAX_ERRORS_PER_RULE && (count === 0 || rule.startsWith('jurisdiction'))) errors.push(error);
  };

  const record = (personalId: unknown, coordinates: Iterable<string>, locationIndependent: boolean) => {
    if (typeof personalId !== 'string') return;
    const entry = reads.get(personalId) ?? { personalId, fields: new Set<string>(), locationIndependent: false };
    for (const coordinate of coordinates) entry.fields.add(coordinate);
    entry.locationIndependent ||= locationIndependent;
    reads.set(personalId, entry);
  };

  const settleObject = (object: Record<string, unknown>, node: PlanNode, path: Path): Record<string, unknown> | typeof NULLED => {
    let locationIndependent = false;
    if (node.record) {
      const residence = parseJurisdictionKey(object[HIDDEN.jurisdictionKey]);
      const verdict = residence && principal ? judgeJurisdiction(principal, residence) : 'outside';
      if (verdict === 'outside') {
        refuse(`jurisdiction:${path.join('.')}`, {
          message: residence
            ? "Not allowed: this record lies outside the token's jurisdiction"
            : 'Not allowed: the residence of this record could not be confirmed, so it is withheld',
          path,
          extensions: { code: 'FORBIDDEN', reason: residence ? 'OUTSIDE_JURISDICTION' : 'JURISDICTION_UNKNOWN' },
        });
        return NULLED;
      }
      locationIndependent = verdict === 'location-independent';
    }

    for (const removal of node.removals) {
      if (!isIncluded(removal.conditions, variables)) continue;
      refuse(`${removal.coordinate}:${removal.reason}`, {
        message: removal.message,
        path: [...path, removal.responseKey],
        extensions: { code: removal.code, reason: removal.reason, ...(removal.scope ? { scope: removal.scope } : {}) },
      });
      if (removal.nonNull) return NULLED;
      object[removal.responseKey] = null;
    }

    for (const [key, child] of node.children) {
      if (!(key in object)) continue;
      const settled = settleValue(object[key], child.type, child.node, [...path, key]);
      if (settled === INVALID) return NULLED;
      object[key] = settled;
    }

    if (node.record === 'citizen') {
      record(object[HIDDEN.personalId], readFields(object, node), locationIndependent);
    } else if (node.record === 'household') {
      record(object[HIDDEN.headPersonalId], readFields(object, node), locationIndependent);
    }
    for (const [key, audited] of node.auditedArguments) {
      if (object[key] !== undefined) {
        record(valueFromASTUntyped(audited.value, variables), [audited.coordinate], false);
      }
    }
    for (const hidden of node.hidden) delete object[hidden];
    return object;
  };

  const settleValue = (value: unknown, type: GraphQLOutputType, node: PlanNode, path: Path): unknown => {
    if (value === null || value === undefined) return value;
    const nonNull = isNonNullType(type);
    const inner = nonNull ? type.ofType : type;
    let settled: unknown;
    if (isListType(inner)) {
      const items = value as unknown[];
      settled = items;
      for (let index = 0; index < items.length; index++) {
        const item = settleValue(items[index], inner.ofType, node, [...path, index]);
        if (item === INVALID) {
          settled = NULLED;
          break;
        }
        items[index] = item;
      }
    } else if (typeof value === 'object') {
      settled = settleObject(value as Record<string, unknown>, node, path);
    } else {
      settled = value;
    }
    if (settled === NULLED) return nonNull ? INVALID : null;
    return settled;
  };

  if (!data) return { data: data ?? null, errors, reads };
  const settled = settleObject(data, plan, []);
  return { data: settled === NULLED ? null : settled, errors, reads };
}

/** The fields of a personal record that came back with a value. */
function readFields(object: Record<string, unknown>, node: PlanNode): string[] {
  const coordinates: string[] = [];
  for (const [key, coordinate] of node.fields) {
    if (object[key] !== null && object[key] !== undefined) coordinates.push(coordinate);
  }
  return coordinates;
}
