/**
 * DataLoader factories for the two batching rules sources have: "up to N IDs per call" and "one
 * ID per call". Both turn a source failure into a per-key GraphQL error, so one failed batch
 * nulls only the fields that needed it, and the rest of the answer still arrives.
 */
import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import { toGraphQLError } from './errors';

/**
 * For sources that take a list of IDs: keys are split into batches of at most `maxBatchSize`,
 * each batch is one source call. `fetchBatch` returns what it found, or an error for a key it
 * could not answer (the source cache does, when it serves some keys stale and fails others);
 * missing keys resolve to null.
 */
export function batchLoader<T>(
  maxBatchSize: number,
  fetchBatch: (keys: readonly string[]) => Promise<Map<string, T>>,
): DataLoader<string, Exclude<T, Error> | null> {
  type V = Exclude<T, Error>;
  return new DataLoader<string, V | null>(
    async (keys) => {
      try {
        const found = await fetchBatch(keys);
        return keys.map((key) => {
          const value = found.get(key);
          return value instanceof Error ? toGraphQLError(value) : ((value as V | undefined) ?? null);
        });
      } catch (error) {
        const graphqlError = toGraphQLError(error);
        return keys.map(() => graphqlError);
      }
    },
    { maxBatchSize },
  );
}

/**
 * For sources that take one ID per call: all keys of a tick are fetched with at most
 * `concurrency` calls in flight, so a household of ten does not open ten sockets at once to a
 * source that rate-limits.
 */
export function singleLoader<V>(concurrency: number, fetchOne: (key: string) => Promise<V | null>): DataLoader<string, V | null> {
  const limit = pLimit(concurrency);
  return new DataLoader<string, V | null>(
    (keys) =>
      Promise.all(
        keys.map((key) =>
          limit(() => fetchOne(key)).catch((error: unknown) => toGraphQLError(error)),
        ),
      ),
    { batch: true },
  );
}

/** `items` in consecutive runs of at most `size`: a source's batch limit applied to a list. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * What every subgraph's `createLoaders` takes: the source clients it opened (`openClients`), the
 * source caches in front of them, and how many one-ID-per-call requests may be in flight at once.
 */
export interface LoaderSources<Clients, Caches> {
  clients: Clients;
  caches: Caches;
  concurrency: number;
}
