/**
 * Query calls to one subgraph that one request makes at the same moment are sent as one call.
 * Apollo's planner fetches entities of different paths separately even when they go to the same
 * subgraph side by side: a dossier asks population for the household's head and, beside it, for
 * the members' records — two calls, two signatures, two source batches for the same few people.
 * Merged (GraphQL Tools' batch-execute: each operation's root fields aliased and its variables
 * renamed with a prefix of its own, the answer split back by those prefixes), the subgraph serves
 * them in one operation, and its loaders ask the source once for them all. Calls are gathered as
 * DataLoader gathers loads (those made before the next tick); a call that finds itself alone goes
 * out as it came, without being read.
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
import DataLoader from 'dataloader';
import { DocumentNode, getOperationAST, parse, print } from 'graphql';
import { LRUCache } from 'lru-cache';
import { isNativeError } from 'node:util/types';
import { BufferedResponse, PlainHeaders } from './fetcher';

export interface CallMergingOptions {
  /** Request headers that must be equal for calls to be merged (the caller, the request id). */
  keyHeaders: readonly string[];
}

/** One call as the gateway made it. */
interface Call {
  url: string;
  init: FetcherRequestInit;
}

/** A call as the batching executor sees it: with its own document, which marks it sent alone. */
interface ParsedCall extends Call {
  document: DocumentNode;
}

/** The answer to a call that went out alone, handed back untouched. */
interface Unmerged {
  response: FetcherResponse;
}

/** How one call ended: never an Error value, so no loader mistakes it for a failed load. */
type Outcome = { response: FetcherResponse } | { error: unknown };

/** A merged call the subgraph did not answer with a usable result. */
class MergedCallFailed extends Error {
  constructor(readonly response: FetcherResponse) {
    super('merged subgraph call failed');
  }
}

const PLAIN_BODY_KEYS = new Set(['query', 'variables', 'operationName']);

/** The planner sends a handful of distinct fetch documents per subgraph. */
const documents = new LRUCache<string, DocumentNode | false>({ max: 500 });

/** The call's query document, when its body is a plain query call that may be merged. */
function mergeableDocument(text: string): { document: DocumentNode; variables?: Record<string, unknown>; operationName?: string } | null {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
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
  return (async (request: ExecutionRequest<Record<string, unknown>, ParsedCall>) => {
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

/** What the batching executor gave one call (a result, its part of one, or a failure), as an outcome. */
function outcomeOf(url: string, given: unknown): Outcome {
  // The batching loader rejects with an error only when it is an `Error` of its own realm; one
  // made elsewhere (Node's socket errors seen from a sandbox such as a test runner's) comes back
  // as a value. Either way it is the call's failure.
  if (isNativeError(given) || given instanceof Error) {
    return given instanceof MergedCallFailed ? { response: given.response.clone() } : { error: given };
  }
  const result = given as ExecutionResult | Unmerged | undefined;
  if (!result) return { error: new Error(`The merged answer from ${url} had no part for one of its calls`) };
  if ('response' in result) return { response: result.response };
  return { response: answerOf(url, result) };
}

export function mergeConcurrentCalls(fetcher: Fetcher, options: CallMergingOptions): Fetcher {
  const send = sender(fetcher);
  const alone = ({ url, init }: Call): Promise<Outcome> =>
    fetcher(url, init).then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    );
  // The calls of one request and caller to this subgraph made at the same moment. A call alone
  // goes out as it came, unparsed; only when there are several is each read and merged.
  const sendTogether = (calls: readonly Call[]): Promise<Outcome[]> => {
    if (calls.length === 1) return Promise.all([alone(calls[0])]);
    const executor = createBatchingExecutor(send, { cache: false });
    return Promise.all(
      calls.map((call) => {
        const mergeable = mergeableDocument(call.init.body as string);
        if (!mergeable) return alone(call);
        return Promise.resolve(executor({ ...mergeable, context: { ...call, document: mergeable.document } })).then(
          (given: unknown) => outcomeOf(call.url, given),
          (error: unknown) => outcomeOf(call.url, error),
        );
      }),
    );
  };
  // No answer is remembered (cache: false): each call is asked of the subgraph.
  const groups = new Map<string, DataLoader<Call, Outcome>>();
  return (async (url: string, init: FetcherRequestInit = {}) => {
    // A call without a caller or a request id (the gateway's own) is never merged with another.
    const keyValues = options.keyHeaders.map((name) => init.headers?.[name]);
    if (keyValues.some((value) => !value) || typeof init.body !== 'string' || init.signal) return fetcher(url, init);
    const key = [url, ...keyValues].join('\n');
    let group = groups.get(key);
    if (!group) {
      const calls: DataLoader<Call, Outcome> = new DataLoader(
        (batch) => {
          if (groups.get(key) === calls) groups.delete(key);
          return sendTogether(batch);
        },
        { cache: false },
      );
      groups.set(key, calls);
      group = calls;
    }
    const outcome = await group.load({ url, init });
    if ('error' in outcome) throw outcome.error;
    return outcome.response;
  }) as Fetcher;
}

/** One call's part of a merged answer, as if the subgraph had answered that call alone. */
function answerOf(url: string, part: ExecutionResult): FetcherResponse {
  const { data, errors } = part;
  return new BufferedResponse(url, 200, new PlainHeaders({ 'content-type': 'application/json' }), JSON.stringify(errors ? { data, errors } : { data }));
}
