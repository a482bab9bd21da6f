/**
 * Query calls to one subgraph that one request makes at the same moment are sent as one call.
 * Apollo's planner fetches entities of different paths separately even when they go to the same
 * subgraph side by side: a dossier asks population for the household's head and, beside it, for
 * the members' records — two calls, two signatures, two source batches for the same few people.
 * Merged (GraphQL Tools' batch-execute: each operation's root fields aliased and its variables
 * renamed with a prefix of its own, the answer split back by those prefixes), the subgraph serves
 * them in one operation, and its loaders ask the source once for them all.
 *
 * Only calls of the same request and the same caller are merged (the request id and the caller's
 * claims are part of the key; a call missing either goes alone), so one signed call never carries
 * two callers' questions. Anything that is not a plain query call (a body with extensions, a
 * mutation, a caller that may abort) goes out as it came. A merged call that fails fails each call
 * it carried in the same way: the same status and body, or the same error.
 */
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { createBatchingExecutor } from '@graphql-tools/batch-execute';
import type { ExecutionRequest, ExecutionResult, Executor } from '@graphql-tools/utils';
import { DocumentNode, getOperationAST, parse, print } from 'graphql';
import { LRUCache } from 'lru-cache';
import { isNativeError } from 'node:util/types';
import { BufferedResponse, ResponseHeaders } from './fetcher';

export interface CallMergingOptions {
  /** Request headers that must be equal for calls to be merged (the caller, the request id). */
  keyHeaders: readonly string[];
}

/** One call as the gateway made it, kept with the parsed request the batching executor sees. */
interface Call {
  url: string;
  init: FetcherRequestInit;
  /** The call's own document: an executed request with this document is the call alone. */
  document: DocumentNode;
}

/** The answer to a call that went out alone, handed back untouched. */
interface Unmerged {
  response: FetcherResponse;
}

/** A merged call the subgraph did not answer with a usable result. */
class MergedCallFailed extends Error {
  constructor(readonly response: FetcherResponse) {
    super('merged subgraph call failed');
  }
}

const PLAIN_BODY_KEYS = new Set(['query', 'variables', 'operationName']);

/** The planner sends a handful of distinct fetch documents per subgraph. */
const documents = new LRUCache<string, DocumentNode | false>({ max: 500 });

/** The call's query document, when it is a plain query call that may be merged. */
function mergeableDocument(init: FetcherRequestInit): { document: DocumentNode; variables?: Record<string, unknown>; operationName?: string } | null {
  if (typeof init.body !== 'string' || init.signal) return null;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(init.body) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || typeof body.query !== 'string') return null;
  if (Object.keys(body).some((key) => !PLAIN_BODY_KEYS.has(key))) return null;
  let document = documents.get(body.query);
  if (document === undefined) {
    try {
      const parsed = parse(body.query);
      const operation = getOperationAST(parsed);
      document = operation?.operation === 'query' && parsed.definitions.length === 1 ? parsed : false;
    } catch {
      document = false;
    }
    documents.set(body.query, document);
  }
  if (document === false) return null;
  const variables = typeof body.variables === 'object' && body.variables !== null ? (body.variables as Record<string, unknown>) : undefined;
  return { document, variables, operationName: typeof body.operationName === 'string' ? body.operationName : undefined };
}

/** Sends what the batching executor hands it: a call alone as it was, or a merged operation. */
function sender(fetcher: Fetcher): Executor {
  return (async (request: ExecutionRequest<Record<string, unknown>, Call>) => {
    const call = request.context!;
    if (request.document === call.document) return { response: await fetcher(call.url, call.init) } satisfies Unmerged;
    const body = JSON.stringify({ query: print(request.document), variables: request.variables, operationName: request.operationName });
    const response = await fetcher(call.url, { ...call.init, body });
    if (!response.ok) throw new MergedCallFailed(response);
    let result: ExecutionResult;
    try {
      result = JSON.parse(await response.clone().text()) as ExecutionResult;
    } catch {
      throw new MergedCallFailed(response);
    }
    // No `data` key: a request-level error, which each call gets as the subgraph gave it.
    if (typeof result !== 'object' || result === null || !('data' in result)) throw new MergedCallFailed(response);
    return result;
  }) as Executor;
}

export function mergeConcurrentCalls(fetcher: Fetcher, options: CallMergingOptions): Fetcher {
  const send = sender(fetcher);
  // One batching executor per request and caller, dropped when its last call has settled.
  const groups = new Map<string, { executor: Executor; pending: number }>();
  return (async (url: string, init: FetcherRequestInit = {}) => {
    // A call without a caller or a request id (the gateway's own) is never merged with another.
    const keyValues = options.keyHeaders.map((name) => init.headers?.[name]);
    if (keyValues.some((value) => !value)) return fetcher(url, init);
    const mergeable = mergeableDocument(init);
    if (!mergeable) return fetcher(url, init);
    const key = [url, ...keyValues].join('\n');
    let group = groups.get(key);
    if (!group) {
      // No answer is remembered: each call is asked of the subgraph.
      group = { executor: createBatchingExecutor(send, { cache: false }), pending: 0 };
      groups.set(key, group);
    }
    group.pending++;
    let outcome: unknown;
    try {
      outcome = await group.executor({ ...mergeable, context: { url, init, document: mergeable.document } });
    } catch (error) {
      outcome = error;
    } finally {
      if (--group.pending === 0 && groups.get(key) === group) groups.delete(key);
    }
    // The batching loader rejects with an error only when it is an `Error` of its own realm; one
    // made elsewhere (Node's socket errors seen from a sandbox such as a test runner's) comes back
    // as a value. Either way it is the call's failure.
    if (isNativeError(outcome) || outcome instanceof Error) {
      if (outcome instanceof MergedCallFailed) return outcome.response.clone();
      throw outcome;
    }
    const result = outcome as ExecutionResult | Unmerged | undefined;
    if (!result) throw new Error(`The merged answer from ${url} had no part for one of its calls`);
    if ('response' in result) return result.response;
    return answerOf(url, result);
  }) as Fetcher;
}

/** One call's part of a merged answer, as if the subgraph had answered that call alone. */
function answerOf(url: string, part: ExecutionResult): FetcherResponse {
  const { data, errors } = part;
  return new BufferedResponse(url, 200, new ResponseHeaders({ 'content-type': 'application/json' }), JSON.stringify(errors ? { data, errors } : { data }));
}
