/**
 * Who is asking, and within what limits: the caller's identity and rights as the gateway
 * verified them from the access token, forwarded (signed) to the subgraphs. One type serves the
 * gateway's checks and the subgraphs' second checks.
 */

import { isWellFormedText } from './audit/entry';
import { isPersonalId } from './personal-id';

export const SOURCE_SCOPES = [
  'population:read',
  'civil-status:read',
  'land:read',
  'social-insurance:read',
  'budget:read',
] as const;
export const AUDIT_SCOPE = 'audit:read';
/** The data-sharing report over every system and source: the province's data office, not a desk that reads citizens' histories. */
export const AUDIT_REPORT_SCOPE = 'audit:report';
/**
 * Held by a citizen's own token (from the national identity provider; `sub` is their personal
 * ID): it reads that citizen's own records and access history, and nothing else.
 */
export const SELF_SCOPE = 'self';
/** The purpose recorded for a citizen's reads of their own data. */
export const SELF_PURPOSE = 'Công dân tự tra cứu (self access)';
/**
 * Lets a token's free-text `purpose` claim stand as the purpose of personal reads (an inspection,
 * an audit): without it, personal data is read only for a catalogued procedure the request names.
 */
export const FREE_TEXT_PURPOSE_SCOPE = 'purpose:free-text';

/** How the purpose of a read was stated. */
export type PurposeBasis = 'procedure' | 'free-text' | 'self';

/** The procedure a request names (`x-procedure`) and the dossier it handles (`x-dossier`). */
export interface DeclaredProcedure {
  code: string;
  dossier: string;
  /** The catalogue's name and version, and the fields the procedure may read (gateway side only). */
  name?: string;
  catalogueVersion?: string;
  fields?: ReadonlySet<string>;
}

export interface Jurisdiction {
  /** `*`: every province and commune. */
  national: boolean;
  provinces: ReadonlySet<string>;
  communes: ReadonlySet<string>;
}

export interface Principal {
  /** The officer or system the token was issued to (`sub`). */
  subject: string;
  /** The calling system (`client_id`). */
  clientId: string;
  scopes: ReadonlySet<string>;
  jurisdiction: Jurisdiction;
  /**
   * Why personal data is read, as recorded in the audit log: a catalogued procedure's code and
   * dossier number, a free-text purpose (only with the scope `purpose:free-text`), or a citizen's
   * self access. Null: no purpose that allows personal reads.
   */
  purpose: string | null;
  /** How `purpose` was stated; absent on principals built before procedures (treated as free text). */
  purposeBasis?: PurposeBasis | null;
  /** The procedure and dossier the request names. */
  procedure?: DeclaredProcedure | null;
  /** A free-text `purpose` claim the token holds without the scope that allows it (for the refusal's words). */
  unscopedPurpose?: string | null;
  /** The token's `procedures` claim: the only procedure codes this caller may name (absent: any in the catalogue). */
  allowedProcedures?: ReadonlySet<string> | null;
  /**
   * `location_independent: true`: the caller handles procedures that may be filed anywhere
   * (thủ tục phi địa giới hành chính), so it may read residents of other jurisdictions, always
   * with a purpose.
   */
  locationIndependent: boolean;
  /** A citizen reading their own data: their personal ID (`sub` of a token with the `self` scope). */
  self?: string | null;
}

/** Where a personal record belongs: the residence's province and commune codes. */
export interface Residence {
  provinceCode: string;
  communeCode: string;
  /**
   * The record names an old commune (before 1 July 2025) that was split between several of
   * today's communes, and does not itself say which: every candidate, in today's units. Judged
   * inside only when every candidate is (never by the first one).
   */
  ambiguous?: { recordedCode: string; candidates: Residence[] };
}

/** Plain key: `24/07210`, or for a split old unit `?07222=24/07210+24/07228`. */
const PLAIN_KEY = String.raw`(?:\d{2}\/\d{5}|\?\d{5}=\d{2}\/\d{5}(?:\+\d{2}\/\d{5}){1,29})`;
export const PLAIN_JURISDICTION_KEY = new RegExp(`^${PLAIN_KEY}$`);
const ANY_KEY = new RegExp(`^(${PLAIN_KEY})(?:\\.\\d{1,12}\\.[A-Za-z0-9_-]{1,200})?$`);

/** Reads a plain key (without signature); null when it is not one. */
export function parsePlainJurisdictionKey(plain: string): Residence | null {
  if (!PLAIN_JURISDICTION_KEY.test(plain)) return null;
  if (!plain.startsWith('?')) {
    const [provinceCode, communeCode] = plain.split('/');
    return { provinceCode, communeCode };
  }
  const [recorded, list] = plain.slice(1).split('=');
  const candidates = list.split('+').map((pair) => {
    const [provinceCode, communeCode] = pair.split('/');
    return { provinceCode, communeCode };
  });
  return { provinceCode: candidates[0].provinceCode, communeCode: recorded, ambiguous: { recordedCode: recorded, candidates } };
}

/**
 * The internal jurisdiction key the population subgraph gives every citizen and household:
 * `<province>/<commune>`, e.g. `24/07210`. Population sends it signed (lib/jurisdiction-key.ts):
 * `24/07210.<exp>.<signature>`.
 */
export function formatJurisdictionKey(residence: Residence): string {
  if (residence.ambiguous) {
    const list = residence.ambiguous.candidates.map((c) => `${c.provinceCode}/${c.communeCode}`).join('+');
    return `?${residence.ambiguous.recordedCode}=${list}`;
  }
  return `${residence.provinceCode}/${residence.communeCode}`;
}

export function parseJurisdictionKey(key: unknown): Residence | null {
  if (typeof key !== 'string') return null;
  // The plain form, or the signed one: the signature is for subgraphs to verify (jurisdiction-key.ts).
  const match = ANY_KEY.exec(key);
  return match ? parsePlainJurisdictionKey(match[1]) : null;
}

export type JurisdictionVerdict = 'inside' | 'location-independent' | 'outside';

/** Whether `principal` may read a personal record of someone residing at `residence`. */
export function judgeJurisdiction(principal: Principal, residence: Residence): JurisdictionVerdict {
  const { jurisdiction } = principal;
  const inside = (place: Residence) => jurisdiction.provinces.has(place.provinceCode) || jurisdiction.communes.has(place.communeCode);
  // A split old unit: inside only if every part it went into is (the split rule, README).
  if (jurisdiction.national || (residence.ambiguous ? residence.ambiguous.candidates.every(inside) : inside(residence))) {
    return 'inside';
  }
  if (principal.locationIndependent && principal.purpose) return 'location-independent';
  return 'outside';
}

export type RecordVerdict = JurisdictionVerdict | 'self';

/**
 * Why a record at `residence` is refused to `principal`: `AMBIGUOUS_UNIT` when it names a split
 * old commune of which only some parts lie within the caller's jurisdiction (the message names
 * the old code and the candidates), otherwise `OUTSIDE_JURISDICTION`.
 */
export function refusalOf(principal: Principal | null | undefined, residence: Residence): { reason: 'AMBIGUOUS_UNIT' | 'OUTSIDE_JURISDICTION'; message: string } {
  const { jurisdiction } = principal ?? ANONYMOUS;
  const ambiguous = residence.ambiguous;
  if (ambiguous && ambiguous.candidates.some((c) => jurisdiction.provinces.has(c.provinceCode) || jurisdiction.communes.has(c.communeCode))) {
    const candidates = ambiguous.candidates.map((c) => c.communeCode).join(', ');
    return {
      reason: 'AMBIGUOUS_UNIT',
      message: `Not allowed: this record names the old commune ${ambiguous.recordedCode}, which was split on 1 July 2025 between ${candidates}, and not all of them lie within the caller's jurisdiction`,
    };
  }
  return { reason: 'OUTSIDE_JURISDICTION', message: "Not allowed: this record lies outside the caller's jurisdiction" };
}

/** The personal IDs a record's subject field holds: one ID or a list of them. */
export function subjectIdsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
}

/**
 * Whether `principal` may read a personal record about `subjects` that lies at `residence` (null:
 * unknown, never inside). A citizen's own token reads records about them wherever they lie; a
 * `listing` (every resident of a commune) is served strictly inside the jurisdiction, never
 * through location independence, which is for the named people of a dossier.
 */
export function judgeRecord(
  principal: Principal,
  residence: Residence | null,
  subjects: () => readonly unknown[],
  options: { listing?: boolean } = {},
): RecordVerdict {
  if (principal.self) return !options.listing && subjects().includes(principal.self) ? 'self' : 'outside';
  if (!residence) return 'outside';
  const verdict = judgeJurisdiction(principal, residence);
  return options.listing && verdict === 'location-independent' ? 'outside' : verdict;
}

/**
 * Parses a `jurisdiction` claim: a space- or comma-separated string, or an array, of 2-digit
 * province codes, 5-digit commune codes, or `*`. Returns why it is invalid as a string.
 */
export function parseJurisdiction(claim: unknown): Jurisdiction | string {
  if (claim === NO_JURISDICTION) return { national: false, provinces: new Set(), communes: new Set() };
  const items = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : null;
  if (!items) return 'the jurisdiction claim must be a string or an array of codes';
  const codes = items.map((item) => String(item).trim()).filter((item) => item.length > 0);
  if (codes.length === 0) return 'the jurisdiction claim is empty';
  const provinces = new Set<string>();
  const communes = new Set<string>();
  let national = false;
  for (const code of codes) {
    if (code === '*') national = true;
    else if (/^\d{2}$/.test(code)) provinces.add(code);
    else if (/^\d{5}$/.test(code)) communes.add(code);
    else return `the jurisdiction claim holds "${code.slice(0, 12)}", which is not *, a 2-digit province code or a 5-digit commune code`;
  }
  return { national, provinces, communes };
}

/** Written `none` in forwarded claims when a principal has no jurisdiction (anonymous callers). */
const NO_JURISDICTION = 'none';

export function formatJurisdiction(jurisdiction: Jurisdiction): string {
  if (jurisdiction.national) return '*';
  const codes = [...jurisdiction.provinces, ...jurisdiction.communes];
  return codes.length > 0 ? codes.join(' ') : NO_JURISDICTION;
}

/** The principal of a caller without a token, where ALLOW_ANONYMOUS permits one. */
export const ANONYMOUS: Principal = {
  subject: 'anonymous',
  clientId: 'anonymous',
  scopes: new Set(),
  jurisdiction: { national: false, provinces: new Set(), communes: new Set() },
  purpose: null,
  locationIndependent: false,
};

/** The plain-data form of a principal, as it travels inside the gateway's signed header. */
export interface PrincipalClaims {
  sub: string;
  client_id: string;
  scope: string;
  jurisdiction: string;
  purpose?: string;
  location_independent?: boolean;
  /** Forwarded only: how the purpose was stated, and the procedure and dossier. */
  purpose_basis?: PurposeBasis;
  procedure?: string;
  dossier?: string;
}

export function principalToClaims(principal: Principal): PrincipalClaims {
  return {
    sub: principal.subject,
    client_id: principal.clientId,
    scope: [...principal.scopes].join(' '),
    jurisdiction: formatJurisdiction(principal.jurisdiction),
    ...(principal.purpose ? { purpose: principal.purpose } : {}),
    ...(principal.locationIndependent ? { location_independent: true } : {}),
    // A principal built without a basis (before procedures) states free text.
    ...(principal.purpose ? { purpose_basis: principal.purposeBasis ?? 'free-text' } : {}),
    ...(principal.procedure ? { procedure: principal.procedure.code, dossier: principal.procedure.dossier } : {}),
  };
}

/** Longest purpose kept, in code points. */
const MAX_PURPOSE_CODE_POINTS = 200;

/** The first `max` code points of `text`: never half of a surrogate pair. */
function firstCodePoints(text: string, max: number): string {
  let end = 0;
  let count = 0;
  for (const codePoint of text) {
    if (count++ === max) break;
    end += codePoint.length;
  }
  return text.slice(0, end);
}

/**
 * The claims that reach the audit log that are not well-formed text, named (never their values): a
 * lone UTF-16 surrogate (a JSON `\ud800` escape decodes to one) would be stored altered, and its
 * entry would no longer match its hash.
 */
function malformedClaims(claims: Record<string, unknown>): string[] {
  return Object.entries(claims)
    .filter(([, value]) => typeof value === 'string' && !isWellFormedText(value))
    .map(([name]) => name);
}

function parseProcedureList(claim: unknown): ReadonlySet<string> | string | null {
  if (claim === undefined) return null;
  const items = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : null;
  if (!items || items.some((item) => typeof item !== 'string')) return 'the procedures claim must be a space-separated string or an array of procedure codes';
  return new Set((items as string[]).map((item) => item.trim()).filter((item) => item.length > 0));
}

/**
 * Reads the product's claims out of a verified token payload (or, `forwarded`, out of the
 * gateway's signed identity for a subgraph); a string says what is wrong. A token's `purpose`
 * counts only with the scope `purpose:free-text`; the procedure and dossier come from the
 * request's headers (gateway/access/procedures.ts), never from a token. Forwarded claims carry the
 * purpose the gateway settled, with its basis.
 */
export function principalFromClaims(payload: Record<string, unknown>, options: { forwarded?: boolean } = {}): Principal | string {
  const { sub, client_id: clientId, scope, purpose } = payload;
  if (typeof sub !== 'string' || sub.length === 0) return 'the token has no subject (sub)';
  if (typeof clientId !== 'string' || clientId.length === 0) return 'the token has no client_id';
  if (scope !== undefined && typeof scope !== 'string') return 'the scope claim must be a space-separated string';
  if (purpose !== undefined && typeof purpose !== 'string') return 'the purpose claim must be a string';
  const malformed = malformedClaims({ sub, client_id: clientId, purpose, procedure: payload.procedure, dossier: payload.dossier });
  if (malformed.length > 0) return `the ${malformed.join(' and ')} ${malformed.length > 1 ? 'claims are' : 'claim is'} not well-formed text (a lone UTF-16 surrogate)`;
  const locationIndependent = payload.location_independent;
  if (locationIndependent !== undefined && typeof locationIndependent !== 'boolean') {
    return 'the location_independent claim must be true or false';
  }
  const scopes = new Set((scope ?? '').split(/\s+/).filter((s) => s.length > 0));
  const trimmedPurpose = typeof purpose === 'string' ? firstCodePoints(purpose.trim(), MAX_PURPOSE_CODE_POINTS) : '';
  if (scopes.has(SELF_SCOPE)) {
    // A citizen's own token: no jurisdiction, no other scope, no location independence.
    if (!isPersonalId(sub)) return "a token with the self scope must name the citizen's 12-digit personal ID as its subject (sub)";
    if (scopes.size > 1) return 'a token with the self scope may hold no other scope';
    if (locationIndependent === true) return 'a token with the self scope cannot be location-independent';
    return {
      subject: sub,
      clientId,
      scopes,
      jurisdiction: { national: false, provinces: new Set(), communes: new Set() },
      // Always the fixed words: a citizen's own token cannot put its own purpose in the audit log.
      purpose: SELF_PURPOSE,
      purposeBasis: 'self',
      locationIndependent: false,
      self: sub,
    };
  }
  const jurisdiction = parseJurisdiction(payload.jurisdiction);
  if (typeof jurisdiction === 'string') return jurisdiction;
  const stated = trimmedPurpose.length > 0 ? trimmedPurpose : null;
  const principal: Principal = {
    subject: sub,
    clientId,
    scopes,
    jurisdiction,
    purpose: null,
    locationIndependent: locationIndependent === true,
  };
  if (options.forwarded) {
    const basis = payload.purpose_basis;
    const { procedure, dossier } = payload;
    if (basis === 'procedure' && typeof procedure === 'string' && typeof dossier === 'string' && stated) {
      return { ...principal, purpose: stated, purposeBasis: 'procedure', procedure: { code: procedure, dossier } };
    }
    // The gateway allowed this free text (the scope, or a principal of its own making): marked so.
    if (basis === 'free-text' && stated) return { ...principal, purpose: stated, purposeBasis: 'free-text' };
    return principal;
  }
  const allowedProcedures = parseProcedureList(payload.procedures);
  if (typeof allowedProcedures === 'string') return allowedProcedures;
  if (allowedProcedures) principal.allowedProcedures = allowedProcedures;
  // The claim bounds what the client may read for; free text would read anything beside it.
  if (allowedProcedures && scopes.has(FREE_TEXT_PURPOSE_SCOPE)) {
    return `a token with a procedures claim reads only for those procedures: it cannot also hold the scope ${FREE_TEXT_PURPOSE_SCOPE}`;
  }
  if (stated && scopes.has(FREE_TEXT_PURPOSE_SCOPE)) return { ...principal, purpose: stated, purposeBasis: 'free-text' };
  return stated ? { ...principal, unscopedPurpose: stated } : principal;
}

/** The purpose a request states by naming a catalogued procedure and its dossier: `<code> <dossier>`. */
export function withProcedure(principal: Principal, procedure: DeclaredProcedure): Principal {
  return { ...principal, purpose: `${procedure.code} ${procedure.dossier}`, purposeBasis: 'procedure', procedure };
}
