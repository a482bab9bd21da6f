/**
 * Query calls to one subgraph that one request makes at the same moment are sent as one call.
 * Apollo's planner fetches entities of different paths separately even when they go to the same
 * subgraph side by side: a dossier asks population for the household's head and, beside it, for
 * the members' records — two calls, two signatures, two source batches for the same few people.
 * Merged (each operation's root fields aliased and its variables renamed with a prefix of its own,
 * as GraphQL Tools' batch-execute does, and the answer split back by those prefixes), the subgraph
 * serves them in one operation, and its loaders ask the source once for them all. The merged text
 * of the same fetch documents is built once (batch-execute rebuilt and printed it for every
 * request: about 3% of the gateway's CPU per dossier). Calls are gathered as
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
import DataLoader from 'dataloader';
import { DocumentNode, FieldNode, getOperationAST, Kind, OperationDefinitionNode, parse, print, SelectionNode, visit } from 'graphql';
import { LRUCache } from 'lru-cache';
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

/** A call whose body is a plain query call of one operation, which may be merged. */
interface Mergeable extends Call {
  query: string;
  operation: OperationDefinitionNode;
  variables?: Record<string, unknown>;
}

/** How one call ended: never an Error value, so no loader mistakes it for a failed load. */
type Outcome = { response: FetcherResponse } | { error: unknown };

/** A result as a subgraph answers it, read from JSON. */
interface AnswerResult {
  data?: Record<string, unknown> | null;
  errors?: AnswerError[];
}
interface AnswerError {
  path?: readonly (string | number)[];
  [key: string]: unknown;
}

const PLAIN_BODY_KEYS = new Set(['query', 'variables', 'operationName']);

/** The planner sends a handful of distinct fetch documents per subgraph. */
const operations = new LRUCache<string, OperationDefinitionNode | false>({ max: 500 });

/**
 * The merged query text for the same fetch documents in the same order: the planner repeats the
 * same few, so each merge is built and printed once, not on every request.
 */
const mergedTexts = new LRUCache<string, string>({ max: 500 });

/** The call's operation, when its body is a plain query call of one operation that may be merged. */
function mergeable(call: Call): Mergeable | null {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(call.init.body as string) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || typeof body.query !== 'string') return null;
  if (Object.keys(body).some((key) => !PLAIN_BODY_KEYS.has(key))) return null;
  const { query } = body;
  let operation = operations.get(query);
  if (operation === undefined) {
    try {
      const parsed = parse(query);
      const found = getOperationAST(parsed);
      operation = found?.operation === 'query' && parsed.definitions.length === 1 ? found : false;
    } catch {
      operation = false;
    }
    operations.set(query, operation);
  }
  if (operation === false) return null;
  const variables = typeof body.variables === 'object' && body.variables !== null ? (body.variables as Record<string, unknown>) : undefined;
  return { ...call, query, operation, variables };
}

/**
 * Each call's part carries a prefix of its own (`_v<index>_`, as GraphQL Tools' batch-execute
 * names them): on its root fields' aliases and on its variables, so that the parts cannot clash.
 */
const prefixOf = (index: number) => `_v${index}_`;
const PREFIXED = /^_v(\d+)_(.+)$/s;

function prefixedOperation(operation: OperationDefinitionNode, prefix: string): OperationDefinitionNode {
  const renamed = visit(operation, {
    [Kind.VARIABLE]: (node) => ({ ...node, name: { ...node.name, value: prefix + node.name.value } }),
  });
  return { ...renamed, selectionSet: { ...renamed.selectionSet, selections: aliasRootFields(renamed.selectionSet.selections, prefix) } };
}

function aliasRootFields(selections: readonly SelectionNode[], prefix: string): SelectionNode[] {
  return selections.map((selection) => {
    if (selection.kind === Kind.FIELD) return { ...selection, alias: { kind: Kind.NAME, value: prefix + (selection.alias ?? selection.name).value } } satisfies FieldNode;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      return { ...selection, selectionSet: { ...selection.selectionSet, selections: aliasRootFields(selection.selectionSet.selections, prefix) } };
    }
    // A fragment spread needs a fragment definition, which a mergeable call has none of.
    return selection;
  });
}

/** The one operation that asks every call's question, printed. */
function mergedText(calls: readonly Mergeable[]): string {
  const key = calls.map((call) => call.query).join('\u0000');
  let text = mergedTexts.get(key);
  if (text === undefined) {
    const parts = calls.map((call, index) => prefixedOperation(call.operation, prefixOf(index)));
    const merged: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: calls[0].operation.operation,
          name: calls[0].operation.name,
          variableDefinitions: parts.flatMap((part) => part.variableDefinitions ?? []),
          directives: [],
          selectionSet: { kind: Kind.SELECTION_SET, selections: parts.flatMap((part) => part.selectionSet.selections) },
        },
      ],
    };
    text = print(merged);
    mergedTexts.set(key, text);
  }
  return text;
}

function mergedVariables(calls: readonly Mergeable[]): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  calls.forEach((call, index) => {
    for (const [name, value] of Object.entries(call.variables ?? {})) variables[prefixOf(index) + name] = value;
  });
  return variables;
}

/**
 * Each call's part of a merged result: the fields under its prefix, the errors at its paths, and
 * errors at no path (or at a path of no part) for every call. Null when the answer holds a field
 * of no call, which a subgraph answering what it was asked never sends.
 */
function splitResult(result: AnswerResult, count: number): AnswerResult[] | null {
  const parts: AnswerResult[] = Array.from({ length: count }, () => ({}));
  if (result.data) {
    for (const [key, value] of Object.entries(result.data)) {
      const match = PREFIXED.exec(key);
      const index = match ? Number(match[1]) : -1;
      if (!match || index >= count) return null;
      // Without a prototype: a field named `__proto__` stays a field.
      (parts[index].data ??= Object.create(null) as Record<string, unknown>)[match[2]] = value;
    }
  }
  for (const error of result.errors ?? []) {
    const first = error.path?.[0];
    const match = typeof first === 'string' ? PREFIXED.exec(first) : null;
    const index = match ? Number(match[1]) : -1;
    if (match && index < count) (parts[index].errors ??= []).push({ ...error, path: [match[2], ...error.path!.slice(1)] });
    else for (const part of parts) (part.errors ??= []).push(error);
  }
  for (const part of parts) if (part.data === undefined) part.data = result.data === null ? null : {};
  return parts;
}

/** Sends the calls as one; each gets its part of the answer, or the whole failure as the subgraph gave it. */
async function sendMerged(fetcher: Fetcher, calls: readonly Mergeable[]): Promise<Outcome[]> {
  const [first] = calls;
  const body = JSON.stringify({ query: mergedText(calls), variables: mergedVariables(calls), operationName: first.operation.name?.value });
  let response: FetcherResponse;
  try {
    response = await fetcher(first.url, { ...first.init, body });
  } catch (error) {
    return calls.map(() => ({ error }));
  }
  const failed = () => calls.map(() => ({ response: response.clone() }));
  if (!response.ok) return failed();
  let result: AnswerResult;
  try {
    result = JSON.parse(await response.clone().text()) as AnswerResult;
  } catch {
    return failed();
  }
  // No `data` key: a request-level error, which each call gets as the subgraph gave it.
  if (typeof result !== 'object' || result === null || !('data' in result)) return failed();
  const parts = splitResult(result, calls.length);
  if (!parts) return calls.map(() => ({ error: new Error(`The merged answer from ${first.url} held a field none of its calls asked for`) }));
  return parts.map((part) => ({ response: answerOf(first.url, part) }));
}

export function mergeConcurrentCalls(fetcher: Fetcher, options: CallMergingOptions): Fetcher {
  const alone = ({ url, init }: Call): Promise<Outcome> =>
    fetcher(url, init).then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    );
  // The calls of one request and caller to this subgraph made at the same moment. A call alone
  // goes out as it came, unparsed; only when there are several is each read and merged.
  const sendTogether = async (calls: readonly Call[]): Promise<Outcome[]> => {
    if (calls.length === 1) return [await alone(calls[0])];
    const read = calls.map(mergeable);
    const merging = read.filter((call): call is Mergeable => call !== null);
    if (merging.length < 2) return Promise.all(calls.map(alone));
    const merged = sendMerged(fetcher, merging);
    // Each mergeable call takes its part of the merged answer, in order; the others go alone.
    let parts = 0;
    return Promise.all(
      read.map((call, i) => {
        if (!call) return alone(calls[i]);
        const part = parts++;
        return merged.then((outcomes) => outcomes[part]);
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
function answerOf(url: string, part: AnswerResult): FetcherResponse {
  const { data, errors } = part;
  return new BufferedResponse(url, 200, new PlainHeaders({ 'content-type': 'application/json' }), JSON.stringify(errors ? { data, errors } : { data }));
}
