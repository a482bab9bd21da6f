/**
 * The subgraphs' GraphQL pipeline over plain node:http: read the operation, parse, validate and
 * compile it (graphql-jit) once per distinct query text, execute, mask unexpected errors, answer JSON.
 *
 * Why not Apollo Server here: a subgraph's only caller is the gateway, which sends the same few
 * documents over and over; Apollo Server's per-request machinery (plugin dispatch, header maps,
 * document hashing, response shaping) cost more CPU than executing the entity call itself. The
 * schema is still `buildSubgraphSchema`'s, so `_service` and `_entities` answer as in any
 * Federation 2 subgraph, and the HTTP contract is the one Apollo Server had for POST: JSON, no
 * content type a browser sends cross-site without a preflight (CSRF prevention), 400 for a request
 * that cannot be run, 200 with `errors` for one that ran. No GET: the gateway signs the body, so
 * the operation is read from the body alone (server.ts refuses any other method first).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DocumentNode,
  ExecutionResult,
  getOperationAST,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  ValidationRule,
} from 'graphql';
import { compileQuery, CompiledQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { HttpError, sendGraphQLError, sendJson } from '../../lib/graphql-http';

/** Error codes a subgraph may pass through; anything else is masked as an internal error. */
const PASSED_CODES = new Set([
  'BAD_USER_INPUT',
  'SOURCE_UNAVAILABLE',
  'SOURCE_TIMEOUT',
  'SOURCE_BAD_RESPONSE',
  'SOURCE_QUOTA_EXCEEDED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'FORBIDDEN',
  'UNAUTHENTICATED',
]);

export function maskUnexpectedError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PASSED_CODES.has(code)) return formatted;
  return { message: 'Internal error in the subgraph', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** An error as JSON: graphql-jit's errors are GraphQLError-shaped but have no toJSON(). */
function plain(error: GraphQLError, code?: string): GraphQLFormattedError {
  const extensions = { ...error.extensions, ...(code ? { code } : {}) };
  return {
    message: error.message,
    ...(error.locations?.length ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}

/** A thrown error as the caller sees it: its own code, or INTERNAL_SERVER_ERROR (then masked). */
function formatError(error: GraphQLError): GraphQLFormattedError {
  return maskUnexpectedError(plain(error, typeof error.extensions?.code === 'string' ? undefined : 'INTERNAL_SERVER_ERROR'));
}

/** What one operation ended with, for the request log. */
export interface OperationOutcome {
  errors: readonly GraphQLFormattedError[];
}

export interface PipelineOptions {
  schema: GraphQLSchema;
  /** Introspection (`__schema`, `__type`) refused, as Apollo Server does in production. */
  introspection: boolean;
  /** Distinct query texts kept parsed and validated (the gateway sends a handful). */
  maxDocuments?: number;
  /** Called once per operation that ran or was refused, after the answer is written. */
  onOperation?(outcome: OperationOutcome, startedAt: number): void;
}

/** Headers only a script can set, so a cross-site form or image cannot send a request with them. */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'];
/** Content types a browser sends cross-site without a preflight. */
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

interface Operation {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

function badRequest(message: string, code = 'BAD_REQUEST'): HttpError {
  return new HttpError(400, code, message);
}

function refuseCrossSite(req: IncomingMessage): void {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== '' && !SIMPLE_CONTENT_TYPES.has(contentType)) return;
  if (PREFLIGHT_HEADERS.some((header) => req.headers[header] !== undefined)) return;
  throw badRequest(
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header (with a type that is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty value for one of the following headers: apollo-require-preflight, x-apollo-operation-name",
  );
}

function variablesOf(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('`variables` must be an object');
  return value as Record<string, unknown>;
}

/** The one operation a request's body carries (batches are not served: the gateway sends one per call). */
function operationOf(req: IncomingMessage, body: unknown): Operation {
  if (req.method !== 'POST') throw new HttpError(405, 'BAD_REQUEST', 'Only POST is served', { allow: 'POST' });
  if (Array.isArray(body)) throw badRequest('Operation batching is not served by a subgraph: send one operation per request');
  if (typeof body !== 'object' || body === null) throw badRequest('POST body must be a JSON object (content-type: application/json)');
  const raw = body as Record<string, unknown>;
  if (typeof raw.query !== 'string' || raw.query === '') {
    const persisted = typeof raw.extensions === 'object' && raw.extensions !== null && 'persistedQuery' in raw.extensions;
    if (persisted) throw badRequest('Persisted queries are not supported by this subgraph', 'PERSISTED_QUERY_NOT_SUPPORTED');
    throw badRequest('GraphQL operations must contain a non-empty `query`');
  }
  if (raw.operationName !== undefined && raw.operationName !== null && typeof raw.operationName !== 'string') throw badRequest('`operationName` must be a string');
  return { query: raw.query, variables: variablesOf(raw.variables), operationName: (raw.operationName as string | null | undefined) ?? undefined };
}

/** A query text parsed and validated, its operations compiled as they are asked for; or the errors that refuse it. */
type Prepared = { document: DocumentNode; compiled: Map<string, CompiledQuery | GraphQLFormattedError[]> } | { status: number; errors: GraphQLFormattedError[] };

/** A JSON answer's body. */
type Answer = { data?: unknown; errors?: readonly GraphQLFormattedError[] };

/** What an operation that ran answers. */
function executed(result: ExecutionResult): [number, Answer] {
  // Variables that do not fit the operation: nothing ran, the request is the caller's mistake.
  if (result.data === undefined && result.errors) {
    return [400, { errors: result.errors.map((e) => plain(e, typeof e.extensions?.code === 'string' ? undefined : 'BAD_USER_INPUT')) }];
  }
  return [200, result.errors ? { data: result.data, errors: result.errors.map(formatError) } : { data: result.data }];
}

/** A replayed call (its id already claimed by another replica) is refused as unauthenticated. */
function refuse(res: ServerResponse, error: unknown): void {
  sendGraphQLError(res, new HttpError(401, 'UNAUTHENTICATED', (error as Error).message));
}

export interface GraphQLPipeline<TContext> {
  /**
   * Serves one request whose body the caller has already read (and verified). `firstUse`, when
   * given, must resolve before anything is answered and before a mutation runs; rejected, the
   * request is refused as unauthenticated with its message (lib/forwarding.ts, CheckedCall).
   */
  serve(req: IncomingMessage, res: ServerResponse, body: Buffer, context: TContext, firstUse?: Promise<void>): void | Promise<void>;
}

function jsonBody(req: IncomingMessage, body: Buffer): unknown {
  if (req.method !== 'POST') return undefined;
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (!contentType.includes('application/json')) throw badRequest('POST body must be JSON, sent with content-type: application/json');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('Request body is not valid JSON');
  }
}

export function createGraphQLPipeline<TContext>(options: PipelineOptions): GraphQLPipeline<TContext> {
  const rules: readonly ValidationRule[] = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  // Keyed by the exact query text; bounded by total text size so odd callers cannot grow it.
  const documents = new LRUCache<string, Prepared>({ max: options.maxDocuments ?? 1000, maxSize: 20_000_000, sizeCalculation: (_value, key) => key.length + 1 });

  const prepare = (query: string): Prepared => {
    let prepared = documents.get(query);
    if (prepared) return prepared;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { status: 400, errors: [plain(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
    const invalid = validate(options.schema, document, rules);
    prepared = invalid.length > 0 ? { status: 400, errors: invalid.map((e) => plain(e, 'GRAPHQL_VALIDATION_FAILED')) } : { document, compiled: new Map() };
    // Parse failures are not kept: anything can be sent, and they cost little to find again.
    documents.set(query, prepared);
    return prepared;
  };

  return {
    serve(req, res, body, context, firstUse) {
      const startedAt = performance.now();
      // Every answer, a refusal too, leaves only once the call is known to be its first use.
      const respond = (status: number, answer: Answer, headers?: Record<string, string>): void | Promise<void> => {
        const send = () => {
          sendJson(res, status, answer, headers);
          options.onOperation?.({ errors: answer.errors ?? [] }, startedAt);
        };
        return firstUse ? firstUse.then(send, (error: unknown) => refuse(res, error)) : send();
      };
      let operation: Operation;
      try {
        refuseCrossSite(req);
        operation = operationOf(req, jsonBody(req, body));
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        return respond(error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] }, error.headers);
      }
      const prepared = prepare(operation.query);
      if ('errors' in prepared) return respond(prepared.status, { errors: prepared.errors });
      const chosen = getOperationAST(prepared.document, operation.operationName);
      if (!chosen) {
        const message = operation.operationName ? `Unknown operation named "${operation.operationName}".` : 'Must provide operation name if query contains multiple operations.';
        return respond(400, { errors: [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] });
      }
      const name = operation.operationName ?? '';
      let compiled = prepared.compiled.get(name);
      if (!compiled) {
        const made = compileQuery(options.schema, prepared.document, operation.operationName);
        compiled = isCompiledQuery(made) ? made : (made.errors ?? []).map((e) => plain(e, 'GRAPHQL_VALIDATION_FAILED'));
        prepared.compiled.set(name, compiled);
      }
      if (Array.isArray(compiled)) return respond(400, { errors: compiled });
      const ready = compiled;
      const execute = (): void | Promise<void> => {
        const result = ready.query(undefined, context, operation.variables ?? {}) as ExecutionResult | Promise<ExecutionResult>;
        // execute() reports resolver failures in `errors`; a rejection would be a bug, answered 500 by the shell.
        if (result instanceof Promise) return result.then((settled) => respond(...executed(settled)));
        return respond(...executed(result));
      };
      // A query only reads, so it runs while the id is claimed; a mutation waits for the claim.
      if (firstUse && chosen.operation !== 'query') return firstUse.then(execute, (error: unknown) => refuse(res, error));
      return execute();
    },
  };
}
