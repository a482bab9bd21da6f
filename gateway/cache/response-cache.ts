/**
 * Whole answers kept for a few seconds, for operations that touch no personal data (budgets,
 * counts, the catalogue): a province's budget asked by every desk in the province is computed once
 * per `ttlMs`. As an Apollo Server plugin:
 *  - didResolveOperation: decides whether the operation may be cached (a query with no field of a
 *    personal type, nor one whose argument names a citizen — gateway/access/policy.ts — nor one
 *    the audit subgraph answers, whose figures change with every read), and its key;
 *  - responseForOperation: answers from the store, skipping planning and every subgraph call;
 *  - willSendResponse: stores an answer that came back without errors.
 *
 * What is stored is the answer as execution produced it, before the access plugin settles it, and
 * the access plugin still settles every answer, cached or not, for the caller at hand. The key
 * holds everything the caller's access depends on (scopes, purpose stated or not, signed in or
 * not, jurisdiction, location independence), so callers with different access never share an
 * entry. Register it before access control: it reads the operation as the client sent it and the answer
 * before access control changes either.
 */
import { createHash } from 'node:crypto';
import { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { BREAK, DocumentNode, getNamedType, GraphQLSchema, OperationDefinitionNode, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { KeyValueStore } from '../../lib/kv';
import { formatJurisdiction, Principal } from '../../lib/principal';
import type { GatewayContext } from '../context';
import type { GatewayFeature } from '../feature';
import { filteringKey } from '../access/plugin';
import { AccessPolicy, whenPolicyLoads } from '../access/policy';

export interface ResponseCacheOptions {
  store: KeyValueStore;
  ttlMs: number;
  /** Larger answers are not kept. */
  maxBytes?: number;
}

export const RESPONSE_CACHE_HEADER = 'x-response-cache';
const PREFIX = 'gw:response:';

/** True when any field of the document reads or identifies personal data. */
export function touchesPersonalData(schema: GraphQLSchema, document: DocumentNode, policy: AccessPolicy): boolean {
  const typeInfo = new TypeInfo(schema);
  let personal = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        // A field the schema does not know fails validation; never cache what cannot be judged.
        if (!parent || !field) {
          personal = true;
          return BREAK;
        }
        if (
          policy.isPersonalType(parent.name) ||
          policy.isPersonalType(getNamedType(field.type).name) ||
          policy.personalField(`${parent.name}.${node.name.value}`)?.subject !== undefined
        ) {
          personal = true;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return personal;
}

/**
 * True when any field of the document is the audit subgraph's (the sharing report): the log grows
 * with every read, so its figures are never answered from a kept copy.
 */
export function readsAuditLog(schema: GraphQLSchema, document: DocumentNode, policy: AccessPolicy): boolean {
  const typeInfo = new TypeInfo(schema);
  let audit = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && policy.ownersOf(`${parent.name}.${node.name.value}`).includes('audit')) {
          audit = true;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return audit;
}

/** Deeper than any variable of this API (a list of IDs is 2): such an answer is not cached. */
const MAX_VARIABLE_DEPTH = 16;

/** JSON with object keys sorted, so equal variables give equal keys; null past MAX_VARIABLE_DEPTH. */
function canonicalJson(value: unknown, depth = 0): string | null {
  if (depth > MAX_VARIABLE_DEPTH) return null;
  if (Array.isArray(value) || (value && typeof value === 'object')) {
    const isArray = Array.isArray(value);
    const keys = isArray ? null : Object.keys(value as object).sort();
    const parts: string[] = [];
    for (const key of keys ?? (value as unknown[]).keys()) {
      const inner = canonicalJson((value as Record<string | number, unknown>)[key], depth + 1);
      if (inner === null) return null;
      parts.push(isArray ? inner : `${JSON.stringify(key)}:${inner}`);
    }
    return isArray ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The variables the operation declares (others do not change its answer), as a key. */
function variablesKey(operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): string | null {
  const declared: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (variables && name in variables) declared[name] = variables[name];
  }
  return canonicalJson(declared);
}

/** Everything about the caller that can change an answer: what changes its filtering, and where it may read. */
export function accessFingerprint(principal: Principal): string {
  const jurisdiction = formatJurisdiction(principal.jurisdiction).split(' ').sort().join(' ');
  return [filteringKey(principal), jurisdiction, principal.locationIndependent ? 'location-independent' : 'local', principal.self ?? ''].join('|');
}

interface StoredAnswer {
  /** Epoch ms after which the entry is not served, whatever the store's own expiry. */
  until: number;
  data: Record<string, unknown>;
}

export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<GatewayContext> {
  let schema: GraphQLSchema | null = null;
  let policy: AccessPolicy | null = null;
  let schemaId = '';
  const verdicts = new LRUCache<string, boolean>({ max: 5000 });
  const maxBytes = options.maxBytes ?? 512 * 1024;

  return {
    serverWillStart: whenPolicyLoads((apiSchema, apiPolicy, supergraphSdl) => {
      schema = apiSchema;
      policy = apiPolicy;
      // A new supergraph may answer the same query differently: its entries are new ones.
      schemaId = createHash('sha256').update(supergraphSdl).digest('hex').slice(0, 16);
      verdicts.clear();
    }),

    async requestDidStart() {
      let key: string | null = null;
      let hit = false;
      return {
        async didResolveOperation(requestContext) {
          if (!schema || !policy || requestContext.operation?.operation !== 'query') return;
          const operation = `${requestContext.queryHash}|${requestContext.operationName ?? ''}`;
          let cacheable = verdicts.get(operation);
          if (cacheable === undefined) {
            cacheable = !touchesPersonalData(schema, requestContext.document, policy) && !readsAuditLog(schema, requestContext.document, policy);
            verdicts.set(operation, cacheable);
          }
          if (!cacheable) return;
          const variables = variablesKey(requestContext.operation, requestContext.request.variables);
          if (variables === null) return;
          const parts = [schemaId, operation, variables, accessFingerprint(requestContext.contextValue.principal)];
          key = PREFIX + createHash('sha256').update(parts.join('\n')).digest('hex');
        },

        async responseForOperation() {
          if (!key) return null;
          const text = await options.store.get(key);
          if (!text) return null;
          let stored: StoredAnswer;
          try {
            stored = JSON.parse(text) as StoredAnswer;
          } catch {
            return null;
          }
          if (!(stored.until > Date.now())) return null;
          hit = true;
          return {
            http: { status: undefined, headers: new HeaderMap([[RESPONSE_CACHE_HEADER, 'hit']]) },
            body: { kind: 'single', singleResult: { data: stored.data } },
          };
        },

        async willSendResponse(requestContext) {
          const { body } = requestContext.response;
          if (!key || hit || body.kind !== 'single') return;
          const { data, errors } = body.singleResult;
          if (!data || (errors && errors.length > 0)) return;
          // Serialised now, before the access plugin's willSendResponse settles the answer in place.
          const text = JSON.stringify({ until: Date.now() + options.ttlMs, data } satisfies StoredAnswer);
          requestContext.response.http.headers.set(RESPONSE_CACHE_HEADER, 'miss');
          if (text.length <= maxBytes) await options.store.set(key, text, options.ttlMs);
        },
      };
    },
  };
}

/** Off when `ttlMs` is 0. */
export function responseCache(options: ResponseCacheOptions): GatewayFeature {
  return options.ttlMs > 0 ? { name: 'response-cache', plugins: [responseCachePlugin(options)] } : { name: 'response-cache' };
}
