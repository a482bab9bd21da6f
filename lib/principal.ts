/**
 * Who is asking, and within what limits: the caller's identity and rights as the gateway
 * verified them from the access token, forwarded (signed) to the subgraphs. One type serves the
 * gateway's checks and the subgraphs' second checks.
 */

import { isPersonalId } from './personal-id';

export const SOURCE_SCOPES = [
  'population:read',
  'civil-status:read',
  'land:read',
  'social-insurance:read',
  'budget:read',
] as const;
export const AUDIT_SCOPE = 'audit:read';
/**
 * Held by a citizen's own token (from the national identity provider; `sub` is their personal
 * ID): it reads that citizen's own records and access history, and nothing else.
 */
export const SELF_SCOPE = 'self';
/** The purpose recorded for a citizen's reads of their own data. */
export const SELF_PURPOSE = 'Công dân tự tra cứu (self access)';

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
  /** Why personal data is read: procedure code and dossier number (`purpose`). */
  purpose: string | null;
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
}

/**
 * The internal jurisdiction key the population subgraph gives every citizen and household:
 * `<province>/<commune>`, e.g. `24/07210`. Population sends it signed (lib/jurisdiction-key.ts):
 * `24/07210.<exp>.<signature>`.
 */
export function formatJurisdictionKey(residence: Residence): string {
  return `${residence.provinceCode}/${residence.communeCode}`;
}

export function parseJurisdictionKey(key: unknown): Residence | null {
  if (typeof key !== 'string') return null;
  // The plain form, or the signed one: the signature is for subgraphs to verify (jurisdiction-key.ts).
  const match = /^(\d{2})\/(\d{5})(?:\.\d{1,12}\.[A-Za-z0-9_-]{1,200})?$/.exec(key);
  return match ? { provinceCode: match[1], communeCode: match[2] } : null;
}

export type JurisdictionVerdict = 'inside' | 'location-independent' | 'outside';

/** Whether `principal` may read a personal record of someone residing at `residence`. */
export function judgeJurisdiction(principal: Principal, residence: Residence): JurisdictionVerdict {
  const { jurisdiction } = principal;
  if (
    jurisdiction.national ||
    jurisdiction.provinces.has(residence.provinceCode) ||
    jurisdiction.communes.has(residence.communeCode)
  ) {
    return 'inside';
  }
  if (principal.locationIndependent && principal.purpose) return 'location-independent';
  return 'outside';
}

export type RecordVerdict = JurisdictionVerdict | 'self';

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
}

export function principalToClaims(principal: Principal): PrincipalClaims {
  return {
    sub: principal.subject,
    client_id: principal.clientId,
    scope: [...principal.scopes].join(' '),
    jurisdiction: formatJurisdiction(principal.jurisdiction),
    ...(principal.purpose ? { purpose: principal.purpose } : {}),
    ...(principal.locationIndependent ? { location_independent: true } : {}),
  };
}

/** Reads the product's claims out of a verified token payload; a string says what is wrong. */
export function principalFromClaims(payload: Record<string, unknown>): Principal | string {
  const { sub, client_id: clientId, scope, purpose } = payload;
  if (typeof sub !== 'string' || sub.length === 0) return 'the token has no subject (sub)';
  if (typeof clientId !== 'string' || clientId.length === 0) return 'the token has no client_id';
  if (scope !== undefined && typeof scope !== 'string') return 'the scope claim must be a space-separated string';
  if (purpose !== undefined && typeof purpose !== 'string') return 'the purpose claim must be a string';
  const locationIndependent = payload.location_independent;
  if (locationIndependent !== undefined && typeof locationIndependent !== 'boolean') {
    return 'the location_independent claim must be true or false';
  }
  const scopes = new Set((scope ?? '').split(/\s+/).filter((s) => s.length > 0));
  const trimmedPurpose = typeof purpose === 'string' ? purpose.trim().slice(0, 200) : '';
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
      purpose: trimmedPurpose.length > 0 ? trimmedPurpose : SELF_PURPOSE,
      locationIndependent: false,
      self: sub,
    };
  }
  const jurisdiction = parseJurisdiction(payload.jurisdiction);
  if (typeof jurisdiction === 'string') return jurisdiction;
  return {
    subject: sub,
    clientId,
    scopes,
    jurisdiction,
    purpose: trimmedPurpose.length > 0 ? trimmedPurpose : null,
    locationIndependent: locationIndependent === true,
  };
}
