/**
 * @apollo/gateway (2.14) builds federation's `Operation` from the request's document on every
 * execution (`executeQueryPlan`), only to shape the answer, although the plan is cached and
 * Apollo Server hands it the same parsed document for the same query text each time. The build
 * walked every selection against the schema: about 3% of the gateway's CPU per dossier.
 *
 * Here the built operation is kept per schema and per operation node of a cached document, with
 * the fragments it was built with; a new schema, a new document or other options build anew. An
 * `Operation` is only read after it is built (the variables of each request are applied to it
 * when the answer is shaped), so one serves every request of the same document.
 *
 * The executor reaches the function through the package's exports at each call, which is where
 * it is replaced. A version that no longer does would only build the operation each time again.
 */
import { dirname } from 'node:path';
import type { DefinitionNode, DocumentNode } from 'graphql';
import type { Operation, Schema } from '@apollo/federation-internals';

type Build = (schema: Schema, document: DocumentNode, options?: { operationName?: string; validate?: boolean }) => Operation;

interface Built {
  definitions: readonly DefinitionNode[];
  operation: Operation;
}

// The module object the gateway itself loads (its own copy, should versions ever part), whose
// export the executor reads at each call; an ES import would be a copy.
const gatewayDir = dirname(require.resolve('@apollo/gateway'));
const operations = require(require.resolve('@apollo/federation-internals/dist/operations', { paths: [gatewayDir] })) as { operationFromDocument: Build };
const REUSING = Symbol.for('gateway.operation-reuse');

/** Replaces `operationFromDocument` once per process; later calls do nothing. */
export function reuseBuiltOperations(): void {
  const build = operations.operationFromDocument;
  if ((build as unknown as Record<symbol, boolean>)[REUSING]) return;
  const bySchema = new WeakMap<Schema, WeakMap<DefinitionNode, Built>>();
  const reusing: Build = (schema, document, options) => {
    // Only the executor's own call (no operation name, not validated again) is kept.
    const [first] = document.definitions;
    if (!first || options?.operationName !== undefined || options?.validate !== false) return build(schema, document, options);
    let byNode = bySchema.get(schema);
    if (!byNode) bySchema.set(schema, (byNode = new WeakMap()));
    const kept = byNode.get(first);
    if (kept && sameDefinitions(kept.definitions, document.definitions)) return kept.operation;
    const operation = build(schema, document, options);
    byNode.set(first, { definitions: [...document.definitions], operation });
    return operation;
  };
  Object.defineProperty(reusing, REUSING, { value: true });
  operations.operationFromDocument = reusing;
}

function sameDefinitions(a: readonly DefinitionNode[], b: readonly DefinitionNode[]): boolean {
  return a.length === b.length && a.every((definition, i) => definition === b[i]);
}
