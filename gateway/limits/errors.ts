/**
 * The refusals of the request limits: each its own `extensions.code`, an HTTP status, and a
 * message that says what was too much and what the limit is. They happen before execution, so
 * no source is called and nothing is audited.
 */
import { GraphQLError } from 'graphql';

export const LIMIT_CODES = [
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_OPERATIONS',
  'QUERY_TOO_LARGE',
  'TOO_MANY_TOKENS',
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_DIRECTIVES',
  'QUERY_TOO_COSTLY',
] as const;
export type LimitCode = (typeof LIMIT_CODES)[number];

/** Told about each refusal (metrics count them). */
export type LimitRejectionListener = (code: LimitCode) => void;

export function limitError(code: LimitCode, message: string, status = 400): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

export function isLimitCode(code: unknown): code is LimitCode {
  return (LIMIT_CODES as readonly unknown[]).includes(code);
}
