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

/**
 * Personal data refused in this request, for one reason: the audit log gets one refusal entry
 * for each (never a personal ID: see lib/audit/entry.ts, AuditRefusal).
 */
export interface RecordRefusal {
  code: string;
  reason: string;
  /** Schema coordinates refused (a withheld record: the fields asked of it). */
  fields: Set<string>;
  /** Places of the answer refused for this reason. */
  count: number;
}

export interface SettledResponse {
  data: Record<string, unknown> | null;
  errors: GraphQLFormattedError[];
  reads: Map<string, RecordRead>;
  /** By reason. Refusals of fields that are not personal, and "not found", are not among them. */
  refusals: Map<string, RecordRefusal>;
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
  /** The reason a subgraph's own jurisdiction check withheld the record at exactly this path, if it did. */
  upstreamRefusalAt?(path: readonly (string | number)[]): string | null;
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
  const refusals = new Map<string, RecordRefusal>();
  const upstreamErrorAt = options.upstreamErrorAt ?? (() => false);
  const upstreamRefusalAt = options.upstreamRefusalAt ?? (() => null);

  const refuse = (rule: string, error: GraphQLFormattedError) => {
    // One error per rule and place in the query, not one per list item: 100 citizens without
    // a scope give one error, with the path of the first.
    const count = errorCounts.get(rule) ?? 0;
    errorCounts.set(rule, count + 1);
    if (count < MAX_ERRORS_PER_RULE && (count === 0 || rule.startsWith('jurisdiction'))) errors.push(error);
  };

  const refused = (code: string, reason: string, coordinates: Iterable<string>) => {
    const entry = refusals.get(reason) ?? { code, reason, fields: new Set<string>(), count: 0 };
    for (const coordinate of coordinates) entry.fields.add(coordinate);
    entry.count++;
    refusals.set(reason, entry);
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

  /** `enclosing`: the verdict on the nearest record this object sits in, which a bare reference shares. */
  const settleObject = (object: Record<string, unknown>, node: PlanNode, path: Path, enclosing: RecordVerdict | null): Record<string, unknown> | typeof NULLED => {
    let verdict: RecordVerdict | null = node.reference ? enclosing : null;
    if (node.record && !node.reference) {
      const residence = parseJurisdictionKey(object[HIDDEN.jurisdictionKey]);
      verdict = principal ? judgeRecord(principal, residence, () => idsOf(object[HIDDEN.subject])) : 'outside';
      if (verdict === 'outside') {
        // A split old commune the caller holds part of: say so (which old code, which candidates),
        // even for a look-up, since the record may well be the caller's to read.
        const refusal = residence && !principal?.self ? refusalOf(principal, residence) : null;
        const reason = refusal?.reason === 'AMBIGUOUS_UNIT' ? 'AMBIGUOUS_UNIT' : residence ? 'OUTSIDE_JURISDICTION' : 'JURISDICTION_UNKNOWN';
        refused('FORBIDDEN', reason, recordCoordinates(node));
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
      if (removal.personal) refused(removal.code, removal.reason, [removal.coordinate]);
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
      refused('FORBIDDEN', 'OUTSIDE_JURISDICTION', [listing.coordinate]);
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
        // A person who was found and lies outside (or whose residence is unknown) is refused; one not found is not.
        const upstream = located ? null : upstreamRefusalAt([...path, named.locator]);
        if (located) refused('FORBIDDEN', residence ? 'OUTSIDE_JURISDICTION' : 'JURISDICTION_UNKNOWN', [named.coordinate]);
        else if (upstream) refused('FORBIDDEN', upstream, [named.coordinate]);
        else if (upstreamErrorAt([...path, named.locator])) refused('FORBIDDEN', 'JURISDICTION_UNKNOWN', [named.coordinate]);
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
      const settled = settleValue(object[key], child.type, child.node, [...path, key], node.record ? verdict : enclosing);
      if (settled === INVALID) return NULLED;
      object[key] = settled;
    }

    if (node.record) record(idsOf(object[HIDDEN.subject]), node.reference ? [`${node.typeName}.${node.record.subject}`] : readFields(object, node), verdict);
    for (const hidden of node.hidden) delete object[hidden];
    return object;
  };

  const settleValue = (value: unknown, type: GraphQLOutputType, node: PlanNode, path: Path, enclosing: RecordVerdict | null): unknown => {
    if (value === null || value === undefined) {
      // A record the subgraph's own check withheld is a refusal all the same.
      const upstream = value === null && node.record && !node.reference ? upstreamRefusalAt(path) : null;
      if (upstream) refused('FORBIDDEN', upstream, recordCoordinates(node));
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
        const item = settleValue(items[index], inner.ofType, node, [...path, index], enclosing);
        if (item === INVALID) {
          settled = NULLED;
          break;
        }
        items[index] = item;
      }
    } else if (typeof value === 'object') {
      settled = settleObject(value as Record<string, unknown>, node, path, enclosing);
    } else {
      settled = value;
    }
    if (settled === NULLED) return nonNull ? INVALID : null;
    return settled;
  };

  if (!data) return { data: data ?? null, errors, reads, refusals };
  const settled = settleObject(data, plan, [], null);
  return { data: settled === NULLED ? null : settled, errors, reads, refusals };
}

/** What was asked of a withheld record: its fields, or the record's type when nothing else (a bare reference). */
function recordCoordinates(node: PlanNode): string[] {
  const coordinates = [...new Set(node.fields.values())];
  return coordinates.length > 0 ? coordinates : [node.typeName];
}

/** The fields of a personal record that came back with a value. */
function readFields(object: Record<string, unknown>, node: PlanNode): string[] {
  const coordinates: string[] = [];
  for (const [key, coordinate] of node.fields) {
    if (object[key] !== null && object[key] !== undefined) coordinates.push(coordinate);
  }
  return coordinates;
}
