/**
 * A subgraph that cannot be reached, answers too late or answers an HTTP error is one more source
 * failure: its fields come back null, each with SOURCE_UNAVAILABLE or SOURCE_TIMEOUT and
 * `extensions.source` naming the subgraph, and the rest of the answer arrives. The failure is
 * returned as the subgraph's GraphQL errors (not thrown), so the gateway places each error on
 * the field it belongs to, as it does for errors the subgraph itself reports.
 */
import type { GraphQLRequest } from '@apollo/server';
import { DocumentNode, GraphQLFormattedError, Kind, parse, SelectionSetNode } from 'graphql';
import { SubgraphAnswerTooLargeError, SubgraphTimeoutError } from './fetcher';

/** Node and undici codes that mean the subgraph could not be reached or dropped the call. */
const CONNECTION_FAILURES = /^(ECONNREFUSED|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_\w+)$/;

type Failure = { code: 'SOURCE_UNAVAILABLE' | 'SOURCE_TIMEOUT'; message: string };

/** What kind of failure `error` is, or null when it is not the subgraph being unavailable. */
export function classifySubgraphFailure(error: unknown, subgraph: string): Failure | null {
  if (error instanceof SubgraphTimeoutError) {
    return { code: 'SOURCE_TIMEOUT', message: `The ${subgraph} subgraph did not answer in time; its fields are null` };
  }
  if (error instanceof SubgraphAnswerTooLargeError) {
    return { code: 'SOURCE_UNAVAILABLE', message: `The ${subgraph} subgraph answered more than the gateway reads; its fields are null` };
  }
  const status = (error as { extensions?: { response?: { status?: unknown } } })?.extensions?.response?.status;
  if (typeof status === 'number' && (status >= 500 || status === 429)) {
    return { code: 'SOURCE_UNAVAILABLE', message: `The ${subgraph} subgraph answered HTTP ${status}; its fields are null` };
  }
  const code = (error as { code?: unknown; cause?: { code?: unknown } })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof code === 'string' && CONNECTION_FAILURES.test(code)) {
    return { code: 'SOURCE_UNAVAILABLE', message: `The ${subgraph} subgraph could not be reached; its fields are null` };
  }
  return null;
}

/** The response keys a subgraph fetch fills: its root fields, or the fields it adds to entities. */
function filledFields(document: DocumentNode): { entities: boolean; keys: string[] } {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return { entities: false, keys: [] };
  const keysOf = (selectionSet: SelectionSetNode | undefined, into: Set<string>) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') into.add(selection.alias?.value ?? selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        keysOf(selection.selectionSet, into);
      }
    }
  };
  const root = operation.selectionSet.selections;
  const entities = root.length === 1 && root[0].kind === Kind.FIELD && root[0].name.value === '_entities';
  const keys = new Set<string>();
  keysOf(entities && root[0].kind === Kind.FIELD ? root[0].selectionSet : operation.selectionSet, keys);
  return { entities, keys: [...keys] };
}

/**
 * The errors to report in place of the subgraph's answer: one per field the fetch would have
 * filled. Entity fetches name the first entity's field (the gateway turns `_entities.0` into
 * its path in the response), as the access checks name the first of a list's items.
 */
export function subgraphFailureResponse(
  failure: Failure,
  subgraph: string,
  request: Pick<GraphQLRequest, 'query'>,
  document?: DocumentNode,
): { errors: GraphQLFormattedError[] } {
  let fields: { entities: boolean; keys: string[] } = { entities: false, keys: [] };
  try {
    fields = filledFields(document ?? parse(request.query ?? ''));
  } catch {
    // The gateway wrote this query; if it cannot be read, the error goes without a path.
  }
  const extensions = { code: failure.code, source: subgraph };
  if (fields.keys.length === 0) return { errors: [{ message: failure.message, extensions }] };
  return {
    errors: fields.keys.map((key) => ({
      message: failure.message,
      path: fields.entities ? ['_entities', 0, key] : [key],
      extensions,
    })),
  };
}
