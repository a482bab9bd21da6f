/**
 * Access control as an Apollo Server plugin:
 *  - schemaDidLoadOrUpdate: reads the @authenticated / @requiresScopes requirements out of the
 *    supergraph and builds the policy;
 *  - didResolveOperation: replaces the operation with the filtered one (fields the caller may not
 *    read taken out, hidden jurisdiction/audit fields added) before the query planner sees it;
 *  - willSendResponse: puts the refused fields back as null with FORBIDDEN errors, withholds
 *    records outside the caller's jurisdiction, and hands the personal records read to
 *    `recordReads` (the audit log), which must succeed before any of them leaves (fail closed),
 *    with the personal reads refused an authenticated caller (written in the same append; when
 *    there is nothing else to write, awaited but best-effort: a refusal serves nothing, so a log
 *    that cannot take it must not change the answer).
 */
import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { ANONYMOUS, Principal } from '../../lib/principal';
import type { GatewayContext } from '../context';
import { FilteredOperation, filterOperation, HIDDEN_PREFIX, OperationRefused } from './operation-filter';
import { AccessPolicy, whenPolicyLoads } from './policy';
import { NOT_FOUND_OR_OUTSIDE, RecordRead, RecordRefusal, settleResponse } from './response-settler';

// AMBIGUOUS_UNIT is not among them: a subgraph's refusal of a record under a split old commune
// passes as it is (naming the old code and its parts), even for a look-up, since the caller holds
// part of that area and needs to know why.
const WITHHOLDING_REASONS = new Set(['OUTSIDE_JURISDICTION', 'JURISDICTION_UNKNOWN', NOT_FOUND_OR_OUTSIDE.reason]);
/** A subgraph's own jurisdiction refusals: the audit log records them as the gateway's. */
const UPSTREAM_REFUSALS = new Set(['OUTSIDE_JURISDICTION', 'JURISDICTION_UNKNOWN']);

export interface AccessControlOptions {
  /**
   * Called with every personal record about to be returned and the personal reads refused; a
   * rejection withholds the records (refusals alone: the answer is sent as it is).
   */
  recordReads(reads: RecordRead[], refusals: RecordRefusal[], context: GatewayContext, policy: AccessPolicy): Promise<void>;
  /** Filtered operations kept, by query and access level. */
  cacheSize?: number;
  /** Told the API schema whenever it loads (the procedure catalogue is checked against it). */
  onSchema?(apiSchema: GraphQLSchema): void;
}

/**
 * What changes the filtering of an operation: the scopes held, whether a purpose is stated (and
 * the procedure whose field set applies), and whether the caller signed in. The response cache's key builds on it (cache/response-cache.ts).
 */
export function filteringKey(principal: Principal): string {
  const who = principal.self ? 'self' : principal.subject === 'anonymous' ? 'anon' : 'auth';
  // A procedure's field set decides what is taken out; the dossier does not.
  const purpose = principal.procedure ? `procedure:${principal.procedure.code}` : principal.purpose ? 'purpose' : principal.unscopedPurpose ? 'unscoped-purpose' : 'no-purpose';
  return `${[...principal.scopes].sort().join(' ')}|${purpose}|${who}`;
}

function pathStartsWith(path: readonly (string | number)[] | undefined, prefix: readonly (string | number)[]): boolean {
  return !!path && prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

export function accessControlPlugin(options: AccessControlOptions): ApolloServerPlugin<GatewayContext> {
  let schema: GraphQLSchema | null = null;
  let policy: AccessPolicy | null = null;
  /** Each filtered operation with the hash its query plan is cached by (made once, not per request). */
  const filtered = new LRUCache<string, { operation: FilteredOperation; planHash: string }>({ max: options.cacheSize ?? 2000 });

  return {
    serverWillStart: whenPolicyLoads((apiSchema, apiPolicy) => {
      schema = apiSchema;
      policy = apiPolicy;
      options.onSchema?.(apiSchema);
      filtered.clear();
    }),

    async requestDidStart() {
      let operation: FilteredOperation | null = null;
      return {
        async didResolveOperation(requestContext: GraphQLRequestContextDidResolveOperation<GatewayContext>) {
          if (!schema || !policy) throw new GraphQLError('The gateway has no schema loaded yet', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
          const { principal } = requestContext.contextValue;
          const key = `${requestContext.queryHash}|${requestContext.operationName ?? ''}|${filteringKey(principal)}`;
          let entry = filtered.get(key);
          if (!entry) {
            try {
              const made = filterOperation(schema, requestContext.document, requestContext.operationName, principal, policy);
              // The gateway caches query plans by this hash: callers with different access must
              // never share a plan made for someone else's filtered operation.
              entry = { operation: made, planHash: createHash('sha256').update(key).digest('hex') };
            } catch (error) {
              if (error instanceof OperationRefused) {
                throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
              }
              throw error;
            }
            filtered.set(key, entry);
          }
          operation = entry.operation;
          if (operation.changed) {
            const mutable = requestContext as { document: typeof requestContext.document; queryHash: string };
            mutable.document = operation.document;
            mutable.queryHash = entry.planHash;
          }
        },

        async willSendResponse(requestContext) {
          if (!operation || !policy || requestContext.response.body.kind !== 'single') return;
          const result = requestContext.response.body.singleResult;
          // Refused before execution (a limit, after this plugin's didResolveOperation): no data
          // to settle or audit, and no `data: null` to add to the refusal.
          if (!('data' in result)) return;
          const { principal } = requestContext.contextValue;
          // Errors of the gateway's own hidden selections (a person's look-up) are its business alone.
          const reported = (result.errors ?? []).filter((e: GraphQLFormattedError) => !e.path?.some((part) => typeof part === 'string' && part.startsWith(HIDDEN_PREFIX)));
          const settled = settleResponse(
            result.data as Record<string, unknown> | null | undefined,
            operation.plan,
            principal,
            (requestContext.request.variables ?? {}) as Record<string, unknown>,
            {
              // A subgraph's own jurisdiction refusal is the gateway's to word (unknown and outside alike).
              upstreamErrorAt: (path) =>
                (result.errors ?? []).some(
                  (e: GraphQLFormattedError) => pathStartsWith(e.path, path) && !(e.extensions?.code === 'FORBIDDEN' && WITHHOLDING_REASONS.has(String(e.extensions?.reason))),
                ),
              upstreamRefusalAt: (path) => {
                const refusal = (result.errors ?? []).find(
                  (e: GraphQLFormattedError) =>
                    // The subgraph refuses the record's fields (its null reaches the record), or the record itself.
                    !!e.path &&
                    e.path.length <= path.length + 1 &&
                    pathStartsWith(e.path, path) &&
                    e.extensions?.code === 'FORBIDDEN' &&
                    UPSTREAM_REFUSALS.has(String(e.extensions?.reason)),
                );
                return refusal ? String(refusal.extensions!.reason) : null;
              },
            },
          );
          // A record the gateway withheld for jurisdiction needs no second word from a subgraph.
          const withheld = settled.errors.filter((e) => WITHHOLDING_REASONS.has(String(e.extensions?.reason ?? '')));
          const upstream = reported.filter(
            (e: GraphQLFormattedError) => e.extensions?.code !== 'FORBIDDEN' || !withheld.some((w) => pathStartsWith(e.path, w.path ?? [])),
          );
          const errors = [...upstream, ...settled.errors];
          result.data = settled.data;
          result.errors = errors.length > 0 ? errors : undefined;

          // Refusals of callers the gateway knows: a caller without a token writes nothing to the log
          // (by subject too: a procedure header on an anonymous request copies the principal).
          const refusals = principal === ANONYMOUS || principal.subject === ANONYMOUS.subject ? [] : [...settled.refusals.values()];
          if (settled.reads.size === 0) {
            if (refusals.length > 0) await options.recordReads([], refusals, requestContext.contextValue, policy).catch(() => undefined);
            return;
          }
          try {
            await options.recordReads([...settled.reads.values()], refusals, requestContext.contextValue, policy);
          } catch {
            result.data = null;
            result.errors = [
              {
                message: 'The read could not be recorded in the audit log, so no personal data is returned. Try again shortly.',
                extensions: { code: 'AUDIT_UNAVAILABLE' },
              },
            ];
            requestContext.response.http.status = 503;
          }
        },
      };
    },
  };
}
