/**
 * The procedure a request reads personal data for. A TTHC system names it on every request with
 * two headers, `x-procedure` (a code of the province's catalogue, lib/procedures) and `x-dossier`
 * (the dossier number it handles); the token's `procedures` claim, when present, bounds which
 * codes this client may name at all. Headers rather than a token claim: a token lives for hours
 * and many dossiers, while the dossier changes with every request. A header is only as
 * trustworthy as the authenticated client that sends it, so the audit entry attributes it to that
 * client (`sub`, `client_id`).
 *
 * Refusals happen here, once the body is read and the rate limit has let the request in: a code
 * the catalogue does not hold (UNKNOWN_PROCEDURE), a code the token may not name
 * (PROCEDURE_NOT_ALLOWED), a missing or malformed dossier (DOSSIER_REQUIRED). These three are
 * ProcedureRefused, which the audit log records (index.ts). What the procedure may read is decided
 * field by field in the access policy (OUTSIDE_PROCEDURE).
 */
import { HttpError } from '../../lib/graphql-http';
import { Principal, withProcedure } from '../../lib/principal';
import { DOSSIER_PATTERN, isProcedureCode, ProcedureCatalogue } from '../../lib/procedures/catalogue';

/** A refusal of the procedure a request names, with what the audit log records of it. */
export class ProcedureRefused extends HttpError {
  constructor(
    status: number,
    code: 'UNKNOWN_PROCEDURE' | 'PROCEDURE_NOT_ALLOWED' | 'DOSSIER_REQUIRED',
    message: string,
    extensions: Record<string, unknown>,
    /** The procedure as named (at most 80 characters), its catalogue name and version when known, the dossier when well-formed. */
    readonly procedure: { code: string; name?: string; catalogueVersion: string; dossier: string | null },
  ) {
    super(status, code, message, {}, extensions);
  }
}

export const PROCEDURE_HEADER = 'x-procedure';
export const DOSSIER_HEADER = 'x-dossier';

function single(headers: NodeJS.Dict<string | string[]>, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new HttpError(400, 'BAD_REQUEST', `The request carries more than one ${name} header`);
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** What a refusal entry names for an x-procedure header that is not a procedure code at all. */
export const MALFORMED_PROCEDURE_CODE = '(not a procedure code)';

/** The principal with the procedure the request names, or as it is when it names none; throws an HttpError to refuse. */
export function admitProcedure(principal: Principal, headers: NodeJS.Dict<string | string[]>, catalogue: ProcedureCatalogue): Principal {
  const code = single(headers, PROCEDURE_HEADER);
  const dossier = single(headers, DOSSIER_HEADER);
  if (!code) {
    if (dossier) throw new HttpError(400, 'BAD_REQUEST', `The ${DOSSIER_HEADER} header needs the ${PROCEDURE_HEADER} header naming the procedure the dossier is for`);
    return principal;
  }
  if (principal.self) {
    throw new HttpError(400, 'BAD_REQUEST', `A citizen's own token reads their records as self access; it names no procedure (${PROCEDURE_HEADER})`);
  }
  const procedure = catalogue.get(code);
  const wellFormedDossier = dossier && DOSSIER_PATTERN.test(dossier) ? dossier : null;
  if (!procedure) {
    throw new ProcedureRefused(
      400,
      'UNKNOWN_PROCEDURE',
      `The procedure "${code.slice(0, 80)}" is not in the province's procedure catalogue (version ${catalogue.version}), so no personal data is read for it`,
      { procedure: code.slice(0, 80), catalogueVersion: catalogue.version },
      // The audit log keeps what the caller wrote only when it is a procedure code: free text there
      // could carry anything, a personal ID included, into entries that must name no one.
      { code: isProcedureCode(code) ? code : MALFORMED_PROCEDURE_CODE, catalogueVersion: catalogue.version, dossier: wellFormedDossier },
    );
  }
  const named = { code, name: procedure.name, catalogueVersion: catalogue.version, dossier: wellFormedDossier };
  if (principal.allowedProcedures && !principal.allowedProcedures.has(code)) {
    throw new ProcedureRefused(403, 'PROCEDURE_NOT_ALLOWED', `This token may not read data for the procedure "${code}" (its procedures claim does not list it)`, { procedure: code }, named);
  }
  if (!wellFormedDossier) {
    throw new ProcedureRefused(
      400,
      'DOSSIER_REQUIRED',
      `The procedure "${code}" needs the dossier number in the ${DOSSIER_HEADER} header (1–64 letters, digits and . _ / -)`,
      { procedure: code },
      named,
    );
  }
  return withProcedure(principal, { code, dossier: wellFormedDossier, name: procedure.name, catalogueVersion: catalogue.version, fields: procedure.fields });
}
