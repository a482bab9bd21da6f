/**
 * Serves an Apollo Server over a plain node:http server: the gateway and every subgraph use it,
 * so request parsing, body limits and response writing behave the same everywhere.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, BaseContext, HeaderMap } from '@apollo/server';

export class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body up to `limitBytes`; a larger body is refused before it is buffered. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A GraphQL-shaped error response for failures before execution (bad body, too large, …). */
export function sendGraphQLError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] });
}

export interface GraphQLHandlerOptions<TContext extends BaseContext> {
  maxBodyBytes?: number;
  context: (req: IncomingMessage) => Promise<TContext>;
}

/** Runs one HTTP request through Apollo Server's HTTP pipeline and writes the answer. */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLHandlerOptions<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body: unknown = undefined;
  try {
    if (req.method === 'POST') {
      const text = await readBody(req, options.maxBodyBytes ?? 1_000_000);
      const contentType = headers.get('content-type') ?? '';
      if (text.length > 0 && contentType.includes('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'BAD_REQUEST', 'Request body is not valid JSON');
        }
      } else {
        body = text;
      }
    }
  } catch (error) {
    if (error instanceof HttpError) return sendGraphQLError(res, error);
    throw error;
  }

  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: () => options.context(req),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
