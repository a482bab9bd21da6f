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
import { judgeRecord, parseJurisdictionKey, Principal, RecordVerdict, refusalOf, subjectIdsOf as idsOf } from '../../lib/principal';
import { HIDDEN, PlanNode } from './operation-filter';

/** One person read in this request: the audit log gets one entry for each. */
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

/**
 * What a caller who may not see a record is told, and what it is told for an ID that does not
 * exist: the same words, so that refusals cannot be used to learn who exists where.
 */
export const NOT_FOUND_OR_OUTSIDE = {
  message: "No record with this ID within the token's jurisdiction: it does not exist, or lies outside the jurisdiction",
  reason: 'NOT_FOUND_OR_OUTSIDE_JURISDICTION',
} as const;

function isIncluded(conditions: readonly DirectiveNode[], variables: Record<string, unknown>): boolean {
  for (const directive of conditions) {
    const argument = directive.arguments?.find((a) => a.name.value === 'if');
    const value = argument ? valueFromASTUntyped(argument.value, variables) : undefined;
    if (directive.name.value === 'skip' && value === true) return false;
    if (directive.name.value === 'include' && value === false) return false;
  }
  return true;
}


/** Whether the caller could meet a record outside its reach at all (else an unknown ID is plainly null). */
function canBeRefused(principal: Principal | null): boolean {
  return !principal || !!principal.self || !(principal.jurisdiction.national || (principal.locationIndependent && !!principal.purpose));
}

export interface SettleOptions {
  /** Whether a subgraph already reported an error at this path (or below it). */
  upstreamErrorAt?(path: readonly (string | number)[]): boolean;
}

export function settleResponse(
  data: Record<string, unknown> | null | undefined,
  plan: PlanNode,
  principal: Principal | null,
  variables: Record<string, unknown>,
  options: SettleOptions = {},
): SettledResponse {
  const errors: GraphQLFormattedError[] = [];
  const errorCounts = new Map<string, number>();
  const reads = new Map<string, RecordRead>();
  const upstreamErrorAt = options.upstreamErrorAt ?? (() => false);

  const refuse = (rule: string, error: GraphQLFormattedError) => {
    // One error per rule and place in the query, not one per list item: 100 citizens without
    // a scope give one error, with the path of the first.
    const count = errorCounts.get(rule) ?? 0;
    errorCounts.set(rule, count + 1);
    if (count < MAX_ERRORS_PER_RULE && (count === 0 || rule.startsWith('jurisdiction'))) errors.push(error);
  };

  const notFoundOrOutside = (path: Path) =>
    refuse(`jurisdiction:${path.join('.')}`, {
      message: NOT_FOUND_OR_OUTSIDE.message,
      path,
      extensions: { code: 'FORBIDDEN', reason: NOT_FOUND_OR_OUTSIDE.reason },
    });

  const record = (personalIds: readonly string[], coordinates: Iterable<string>, verdict: RecordVerdict | null) => {
    const fields = [...coordinates];
    for (const personalId of personalIds) {
      const entry = reads.get(personalId) ?? { personalId, fields: new Set<string>(), locationIndependent: false };
      for (const coordinate of fields) entry.fields.add(coordinate);
      entry.locationIndependent ||= verdict === 'location-independent';
      reads.set(personalId, entry);
    }
  };

  const settleObject = (object: Record<string, unknown>, node: PlanNode, path: Path): Record<string, unknown> | typeof NULLED => {
    let verdict: RecordVerdict | null = null;
    if (node.record && !node.reference) {
      const residence = parseJurisdictionKey(object[HIDDEN.jurisdictionKey]);
      verdict = principal ? judgeRecord(principal, residence, () => idsOf(object[HIDDEN.subject])) : 'outside';
      if (verdict === 'outside') {
        // A split old commune the caller holds part of: say so (which old code, which candidates),
        // even for a look-up, since the record may well be the caller's to read.
        const refusal = residence && !principal?.self ? refusalOf(principal, residence) : null;
        if (refusal?.reason === 'AMBIGUOUS_UNIT') {
          refuse(`jurisdiction:${path.join('.')}`, { message: refusal.message, path, extensions: { code: 'FORBIDDEN', reason: refusal.reason } });
        } else if (node.lookup && (residence || principal?.self)) notFoundOrOutside(path);
        else
          refuse(`jurisdiction:${path.join('.')}`, {
            message: residence
              ? "Not allowed: this record lies outside the token's jurisdiction"
              : 'Not allowed: the residence of this record could not be confirmed, so it is withheld',
            path,
            extensions: { code: 'FORBIDDEN', reason: residence ? 'OUTSIDE_JURISDICTION' : 'JURISDICTION_UNKNOWN' },
          });
        return NULLED;
      }
    }

    for (const removal of node.removals) {
      if (!isIncluded(removal.conditions, variables)) continue;
      refuse(`${removal.coordinate}:${removal.reason}`, {
        message: removal.message,
        path: [...path, removal.responseKey],
        extensions: {
          code: removal.code,
          reason: removal.reason,
          ...(removal.scope ? { scope: removal.scope } : {}),
          ...(removal.procedure ? { procedure: removal.procedure } : {}),
        },
      });
      if (removal.nonNull) return NULLED;
      object[removal.responseKey] = null;
    }

    // A list of every resident of a unit: strictly inside the jurisdiction.
    for (const [key, listing] of node.listings) {
      if (object[key] === null || object[key] === undefined) continue;
      const residence = parseJurisdictionKey(object[HIDDEN.listingJurisdiction]);
      if (principal && judgeRecord(principal, residence, () => [], { listing: true }) !== 'outside') continue;
      refuse(`listing:${listing.coordinate}`, {
        message: `Not allowed to read ${listing.coordinate}: the people of a unit are listed only inside the token's jurisdiction (a location-independent procedure reads the named citizens of its dossier)`,
        path: [...path, key],
        extensions: { code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' },
      });
      if (listing.nonNull) return NULLED;
      object[key] = null;
    }

    // A field whose argument names a person: judged by the hidden look-up of that person.
    for (const [key, named] of node.subjectArguments) {
      if (object[key] === null || object[key] === undefined) continue;
      const subject = valueFromASTUntyped(named.value, variables);
      const located = object[named.locator] as Record<string, unknown> | null | undefined;
      const residence = located ? parseJurisdictionKey(located[HIDDEN.jurisdictionKey]) : null;
      const subjects = located ? idsOf(located[HIDDEN.subject]) : [];
      const verdictOfSubject =
        principal && typeof subject === 'string' && (located === null || located === undefined || subjects.includes(subject))
          ? judgeRecord(principal, residence, () => [subject])
          : 'outside';
      if (verdictOfSubject === 'outside') {
        if (!located && upstreamErrorAt([...path, named.locator])) {
          refuse(`jurisdiction:${[...path, key].join('.')}`, {
            message: 'Not allowed: the residence of this person could not be confirmed, so their data is withheld',
            path: [...path, key],
            extensions: { code: 'FORBIDDEN', reason: 'JURISDICTION_UNKNOWN' },
          });
        } else {
          notFoundOrOutside([...path, key]);
        }
        if (named.nonNull) return NULLED;
        object[key] = null;
        continue;
      }
      record([subject as string], [named.coordinate], verdictOfSubject);
    }

    for (const [key, child] of node.children) {
      if (!(key in object)) continue;
      const settled = settleValue(object[key], child.type, child.node, [...path, key]);
      if (settled === INVALID) return NULLED;
      object[key] = settled;
    }

    if (node.record) record(idsOf(object[HIDDEN.subject]), node.reference ? [`${node.typeName}.${node.record.subject}`] : readFields(object, node), verdict);
    for (const hidden of node.hidden) delete object[hidden];
    return object;
  };

  const settleValue = (value: unknown, type: GraphQLOutputType, node: PlanNode, path: Path): unknown => {
    if (value === null || value === undefined) {
      // An ID that does not exist reads like one outside the jurisdiction (see NOT_FOUND_OR_OUTSIDE).
      if (value === null && node.lookup && !isListType(isNonNullType(type) ? type.ofType : type) && canBeRefused(principal) && !upstreamErrorAt(path)) {
        notFoundOrOutside(path);
      }
      return value;
    }
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
