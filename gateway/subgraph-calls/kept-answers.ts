/**
 * A caller's recent subgraph answers, reused for a few seconds. An officer handling a dossier
 * opens the same citizen's records again and again (each step of the procedure, a colleague's
 * check, a page reload on a slow line); within `ttlMs` the gateway answers those subgraph calls
 * from memory, so a repeated dossier costs the subgraphs and sources nothing.
 *
 * Safe by construction:
 *  - the key is the whole call (subgraph URL, the caller's claims — `x-gateway-caller`, signed
 *    per call only after this — query and variables; deduplication.ts), so an answer is reused only for the same caller,
 *    with the same scopes, jurisdiction and purpose, asking the same thing;
 *  - the gateway's access filter, jurisdiction check and audit record run on every request after
 *    this cache, exactly as after a subgraph call: every read is still recorded;
 *  - only complete answers are kept: a 200 without errors and without a record marked stale
 *    (stale-if-error), so a failure or an expired copy is never prolonged;
 *  - kept in this process's memory only, never in Redis, bounded by `maxBytes`;
 *  - `invalidatePersons` drops every answer that mentions a citizen, when a source reports a
 *    change (the invalidation endpoint and the Redis invalidation channel call it).
 * A reused answer's records say so in their provenance (`servedFromCache`, `ageSeconds`).
 */
import { hash } from 'node:crypto';
import type { Fetcher, FetcherHeaders, FetcherRequestInit } from '@apollo/utils.fetcher';
import { LRUCache } from 'lru-cache';
import { subgraphCallKey } from './deduplication';
import { BufferedResponse } from './fetcher';

export interface SubgraphAnswerCacheOptions {
  /** How long an answer is reused. */
  ttlMs: number;
  /** Memory for kept answers (their JSON text), in bytes. */
  maxBytes: number;
  /** Request headers that can change an answer, and so belong to the key. */
  keyHeaders: readonly string[];
  /** Told of every lookup, for the hit-ratio metric. */
  onLookup?(subgraph: string, hit: boolean): void;
}

export interface SubgraphAnswerCache {
  /** Wraps one subgraph's fetcher; every wrapped fetcher shares this cache. */
  around(subgraph: string, fetcher: Fetcher): Fetcher;
  /** Drops every kept answer that names one of these personal IDs; returns how many. */
  invalidatePersons(personalIds: readonly string[]): number;
  readonly size: number;
  /** Stops the sweep of expired answers and drops them all. */
  close(): void;
}

/**
 * Kept off the JavaScript heap, and keyed by a digest of the call rather than the call itself: at a
 * hundred requests a second the copies would otherwise be a large, constantly renewed share of
 * the heap that the garbage collector keeps moving, and the process's memory would swing with it.
 */
interface KeptAnswer {
  headers: FetcherHeaders;
  /** The answer's JSON, UTF-8. */
  body: Buffer;
  /** Personal IDs in the call or its answer, for invalidation. */
  personalIds: string[];
  storedAt: number;
  /** The answer selects provenance fields that must say it was kept, and for how long. */
  restamp: boolean;
}

/** Quoted 12-digit strings: personal IDs (DESIGN.md). Over-matching only drops more on invalidation. */
const PERSONAL_ID_IN_JSON = /"(\d{12})"/g;

function personalIdsIn(...texts: string[]): string[] {
  const ids = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(PERSONAL_ID_IN_JSON)) ids.add(match[1]);
  return [...ids];
}

/**
 * The text as UTF-8 in memory of its own: `Buffer.from` would place a small answer in Node's
 * shared 8 kB pool, where a copy kept for seconds pins the whole slab with everything else in it.
 */
function ownBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  bytes.write(text, 'utf8');
  return bytes;
}

/** A complete answer: no error anywhere, no record served past its time to live. */
function isComplete(status: number, body: string): boolean {
  return status === 200 && !body.includes('"errors"') && !body.includes('"stale":true');
}

/**
 * Provenance tells the truth about a kept answer: its records were not fetched for this request
 * (`servedFromCache`), and they are older now (`ageSeconds`, from `fetchedAt` when selected).
 */
function restampProvenance(value: unknown, now: number, storedAt: number): void {
  if (Array.isArray(value)) {
    for (const item of value) restampProvenance(item, now, storedAt);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  if (typeof record.servedFromCache === 'boolean') record.servedFromCache = true;
  if (typeof record.ageSeconds === 'number') {
    const fetchedAt = typeof record.fetchedAt === 'string' ? Date.parse(record.fetchedAt) : Number.NaN;
    record.ageSeconds = Number.isNaN(fetchedAt)
      ? record.ageSeconds + Math.floor((now - storedAt) / 1000)
      : Math.max(0, Math.floor((now - fetchedAt) / 1000));
  }
  for (const field of Object.values(record)) if (typeof field === 'object' && field !== null) restampProvenance(field, now, storedAt);
}

function replayedBody(kept: KeptAnswer): string {
  const text = kept.body.toString('utf8');
  if (!kept.restamp) return text;
  const answer = JSON.parse(text) as unknown;
  restampProvenance(answer, Date.now(), kept.storedAt);
  return JSON.stringify(answer);
}

export function createSubgraphAnswerCache(options: SubgraphAnswerCacheOptions): SubgraphAnswerCache {
  const byPerson = new Map<string, Set<string>>();
  // Bumped by every invalidation: an answer whose call began before one may predate the change.
  let generation = 0;
  const answers = new LRUCache<string, KeptAnswer>({
    maxSize: options.maxBytes,
    sizeCalculation: (answer) => answer.body.length + 64 * answer.personalIds.length + 300,
    ttl: options.ttlMs,
    // Expired entries go on the next lookup or when space is needed; the index follows them out.
    dispose: (answer, key) => {
      for (const id of answer.personalIds) {
        const keys = byPerson.get(id);
        keys?.delete(key);
        if (keys?.size === 0) byPerson.delete(id);
      }
    },
  });

  // Expired answers are swept out, so memory holds about one time to live of traffic rather than
  // filling up to `maxBytes` with answers nobody may use.
  const sweep = setInterval(() => answers.purgeStale(), Math.max(1000, options.ttlMs / 2));
  sweep.unref();

  return {
    around(subgraph, fetcher) {
      return (async (url: string, init: FetcherRequestInit = {}) => {
        const call = subgraphCallKey(url, init, options.keyHeaders);
        if (call === null) return fetcher(url, init);
        const key = hash('sha256', call, 'base64');
        const kept = answers.get(key);
        options.onLookup?.(subgraph, kept !== undefined);
        if (kept) return new BufferedResponse(url, 200, kept.headers, replayedBody(kept));
        const startedIn = generation;
        const response = await fetcher(url, init);
        const body = await response.text();
        if (startedIn === generation && isComplete(response.status, body)) {
          const personalIds = personalIdsIn(init.body as string, body);
          const restamp = body.includes('"servedFromCache"') || body.includes('"ageSeconds"');
          answers.set(key, { headers: response.headers, body: ownBytes(body), personalIds, storedAt: Date.now(), restamp });
          for (const id of personalIds) {
            const keys = byPerson.get(id) ?? new Set<string>();
            keys.add(key);
            byPerson.set(id, keys);
          }
        }
        return new BufferedResponse(url, response.status, response.headers, body);
      }) as Fetcher;
    },
    invalidatePersons(personalIds) {
      generation++;
      let dropped = 0;
      for (const id of personalIds) {
        for (const key of [...(byPerson.get(id) ?? [])]) if (answers.delete(key)) dropped++;
        byPerson.delete(id);
      }
      return dropped;
    },
    get size() {
      return answers.size;
    },
    close() {
      clearInterval(sweep);
      answers.clear();
    },
  };
}
