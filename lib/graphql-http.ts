/**
 * GraphQL over plain node:http, in two steps the gateway and every subgraph share: read the
 * request (body limit, JSON, batch size), then run it through Apollo Server and write the answer.
 * Whatever must happen between the two (authentication, limits) is the caller's to run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, BaseContext, HeaderMap } from '@apollo/server';
import { readCappedBytes } from './capped-body';

export class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    /** Response headers the refusal needs (`Retry-After`). */
    public readonly headers: Record<string, string> = {},
    /** Further `extensions` beside `code` (`retryAfter`). */
    public readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function payloadTooLarge(limitBytes: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${limitBytes} bytes. Send a smaller request (fewer operations or shorter variables).`);
}

/** Reads a request body up to `limitBytes`; a larger body is refused before it is buffered. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return (await readBodyBytes(req, limitBytes)).toString('utf8');
}

/** The body's exact bytes, up to `limitBytes` (subgraphs verify their digest before use). */
export function readBodyBytes(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return readCappedBytes(req, req.headers['content-length'], limitBytes, () => payloadTooLarge(limitBytes));
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A GraphQL-shaped error response for failures before execution (bad body, too large, …). */
export function sendGraphQLError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { ...error.extensions, code: error.code } }] }, error.headers);
}

export interface ReadOptions {
  maxBodyBytes?: number;
  /** Operations one batched request (a JSON array) may hold; more is refused before any runs. */
  maxBatchOperations?: number;
  /** The body, already read by the caller (a subgraph reads it to verify its signed digest). */
  rawBody?: Buffer;
}

/** A GraphQL request over HTTP, read and parsed but not yet handed to Apollo Server. */
export interface HttpGraphQLRequest {
  method: string;
  headers: HeaderMap;
  search: string;
  body: unknown;
  /** The operations it carries, as sent: one, a batch's several, or none for a body that is not JSON. */
  operations: unknown[];
}

/** The operations a request carries: a JSON body's one or many, or a GET's query string. */
function operationsOf(method: string | undefined, body: unknown, url: URL): unknown[] {
  if (method !== 'POST') return url.searchParams.has('query') ? [{ query: url.searchParams.get('query') }] : [];
  if (Array.isArray(body)) return body;
  return typeof body === 'object' && body !== null ? [body] : [];
}

/** Reads and parses a request's body within the limits; refused with an HttpError. */
export async function readGraphQLRequest(req: IncomingMessage, options: ReadOptions = {}): Promise<HttpGraphQLRequest> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const text = options.rawBody ? options.rawBody.toString('utf8') : await readBody(req, options.maxBodyBytes ?? 1_000_000);
    const contentType = headers.get('content-type') ?? '';
    if (text.length > 0 && contentType.includes('application/json')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'Request body is not valid JSON');
      }
      const maxBatch = options.maxBatchOperations ?? 1;
      if (Array.isArray(body) && body.length > maxBatch) {
        throw new HttpError(400, 'TOO_MANY_OPERATIONS', `The batch holds ${body.length} operations; the limit is ${maxBatch}. Send fewer operations per request.`);
      }
      if (Array.isArray(body) && body.length === 0) throw new HttpError(400, 'BAD_REQUEST', 'The batch holds no operation');
    } else {
      body = text;
    }
  }
  return { method: req.method ?? 'GET', headers, search: url.search, body, operations: operationsOf(req.method, body, url) };
}

export interface ExecuteOptions<TContext extends BaseContext> {
  context: () => Promise<TContext>;
  /** Writes a complete answer's body (the gateway compresses it); default: as it is. */
  writeBody?: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> | void;
}

/** Runs a read request through Apollo Server's HTTP pipeline and writes the answer. */
export async function executeGraphQLRequest<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  request: HttpGraphQLRequest,
  req: IncomingMessage,
  res: ServerResponse,
  options: ExecuteOptions<TContext>,
): Promise<void> {
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method, headers: request.headers, search: request.search, body: request.body },
    context: options.context,
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    if (options.writeBody) return options.writeBody(req, res, response.body.string);
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
