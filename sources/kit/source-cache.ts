/**
 * Source answers kept for a short time and shared by all requests: a citizen asked about twice in
 * a minute (by one dossier's several query-plan steps, or by two desks) costs one source call.
 *
 *  - Store: the key-value store of lib/kv — in-process memory, or Redis shared by every replica
 *    when REDIS_URL is set (memory stands in while Redis is unreachable).
 *  - Time to live per source (`<SOURCE>_CACHE_TTL_S`).
 *  - Single-flight: while a key is being fetched, other requests for it in this process wait for
 *    that fetch instead of starting their own. With Redis this stays per process: two replicas
 *    missing the same key at the same moment each call the source once.
 *  - Stale-if-error: an answer is kept `<SOURCE>_STALE_IF_ERROR_S` past its time to live; when the
 *    source fails, that expired answer is served (provenance `stale`) instead of the error.
 *  - Invalidation: `invalidatePersons` drops the answers about some citizens here and announces it
 *    on the invalidation bus, so every replica drops them too.
 *
 * Only source data is cached, never decisions: scopes and jurisdiction are checked on every
 * request after the cache, so a cached answer reaches only callers who could have fetched it.
 */
import { InvalidationBus, InvalidationMessage, KeyValueStore, MemoryStore } from '../../lib/kv';
import type { SourceName } from '../../lib/sources';
import { acquireBackend, type CacheConfig } from './cache-backends';
import { SourceError } from './errors';
import { markServedFromCache } from './provenance';

export interface SourceCacheOptions {
  /** How long an answer is served as fresh. 0 turns the cache off. */
  ttlMs: number;
  /** How long past `ttlMs` an answer may stand in for a failing source (0: never). */
  staleIfErrorMs?: number;
  /** Entries of the memory store made when no `store` is given. */
  maxEntries?: number;
  store?: KeyValueStore;
  bus?: InvalidationBus;
  /** Prefix of this cache's keys in the store, e.g. `sc:population:population`. */
  prefix?: string;
  /** Namespaces whose keys are personalIds: what `invalidatePersons` drops. */
  personalNamespaces?: readonly string[];
  /** Released on close (the backend the store and bus came from). */
  backend?: { close(): Promise<void> };
}

/** A batch fetch through the cache: each key's answer, or the error that stands for it. */
export type CachedBatch<V> = (keys: readonly string[]) => Promise<Map<string, V | SourceError>>;
type BatchFetch<V> = (keys: readonly string[]) => Promise<Map<string, V>>;

export interface SourceCacheStats {
  hits: number;
  misses: number;
  /** Expired answers served because the source failed. */
  staleServed: number;
  /** Keys that waited for another request's fetch instead of calling the source. */
  joined: number;
}

/** One stored answer: `<fresh-until epoch ms>\n<JSON>`, or nothing after the newline for "no such record". */
function encodeEntry(freshUntil: number, value: unknown): string {
  return value === undefined ? `${freshUntil}\n` : `${freshUntil}\n${JSON.stringify(value)}`;
}

/** "The source has no such record" is an answer too, and is kept like one. */
const NOT_FOUND = Symbol('not found');

interface Entry {
  freshUntil: number;
  /** A fresh copy of the answer, parsed for this request alone, or NOT_FOUND. */
  value: unknown;
}

/** A stored answer, or null for none or for one that cannot be read (then it is fetched again). */
function decodeEntry(text: string | undefined): Entry | null {
  if (text === undefined) return null;
  const newline = text.indexOf('\n');
  const freshUntil = Number(text.slice(0, newline));
  if (newline < 0 || !Number.isFinite(freshUntil)) return null;
  const json = text.slice(newline + 1);
  try {
    return { freshUntil, value: json === '' ? NOT_FOUND : JSON.parse(json) };
  } catch {
    return null;
  }
}

/** What an in-flight fetch settles to for one key: its answer, null (not found), or its failure. */
type Outcome<V> = V | null | SourceError;

export class SourceCache {
  readonly store: KeyValueStore;
  readonly bus: InvalidationBus | undefined;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly prefix: string;
  private readonly personalNamespaces: readonly string[];
  private readonly inFlight = new Map<string, Promise<Outcome<unknown>>>();
  private readonly unsubscribe: (() => void) | undefined;
  private readonly counters: SourceCacheStats = { hits: 0, misses: 0, staleServed: 0, joined: 0 };

  constructor(
    readonly source: SourceName,
    private readonly options: SourceCacheOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.staleMs = options.staleIfErrorMs ?? 0;
    this.store = options.store ?? new MemoryStore(this.ttlMs > 0 ? options.maxEntries : 1);
    this.bus = options.bus;
    this.prefix = options.prefix ?? `sc:${source}`;
    this.personalNamespaces = options.personalNamespaces ?? [];
    if (this.bus && this.personalNamespaces.length > 0) {
      this.unsubscribe = this.bus.subscribe((message) => void this.onInvalidation(message));
    }
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  stats(): SourceCacheStats {
    return { ...this.counters };
  }

  private key(namespace: string, key: string): string {
    return `${this.prefix}:${namespace}:${key}`;
  }

  /**
   * Wraps a batch fetch: keys answered from the store, keys already being fetched awaited, and
   * the rest fetched in one call. Answers are stored as JSON so no request can change another's
   * copy. A failed fetch answers each key with its expired copy where one is held, else with the
   * error; errors other than source failures are thrown as they are.
   */
  batch<V>(namespace: string, fetch: BatchFetch<V>): CachedBatch<V> {
    if (!this.enabled) {
      return async (keys) => {
        try {
          return await fetch(keys);
        } catch (error) {
          if (!(error instanceof SourceError)) throw error;
          return new Map(keys.map((key) => [key, error]));
        }
      };
    }
    return async (keys) => {
      const found = new Map<string, V | SourceError>();
      const waiting: Promise<void>[] = [];
      const join = (key: string, pending: Promise<Outcome<unknown>>) => {
        this.counters.joined++;
        waiting.push(
          pending.then((outcome) => {
            if (outcome instanceof SourceError) found.set(key, outcome);
            else if (outcome !== null) found.set(key, structuredClone(outcome) as V);
          }),
        );
      };

      const toLookUp: string[] = [];
      for (const key of keys) {
        const pending = this.inFlight.get(this.key(namespace, key));
        if (pending) join(key, pending);
        else toLookUp.push(key);
      }

      const stale = new Map<string, Entry>();
      const misses: string[] = [];
      const stored = await this.store.getMany(toLookUp.map((key) => this.key(namespace, key)));
      const now = Date.now();
      toLookUp.forEach((key, index) => {
        const entry = decodeEntry(stored[index]);
        if (entry && entry.freshUntil > now) {
          this.counters.hits++;
          if (entry.value !== NOT_FOUND) {
            markServedFromCache(entry.value);
            found.set(key, entry.value as V);
          }
          return;
        }
        if (entry) stale.set(key, entry);
        // Another request may have started fetching it while the store was answering.
        const pending = this.inFlight.get(this.key(namespace, key));
        if (pending) join(key, pending);
        else misses.push(key);
      });

      if (misses.length > 0) await this.fetchMisses(namespace, misses, stale, fetch, found);
      await Promise.all(waiting);
      return found;
    };
  }

  private async fetchMisses<V>(namespace: string, misses: string[], stale: Map<string, Entry>, fetch: BatchFetch<V>, found: Map<string, V | SourceError>): Promise<void> {
    this.counters.misses += misses.length;
    const fetching = fetch(misses).then(
      (answers) => ({ answers, error: null }),
      (error: unknown) => ({ answers: null, error }),
    );
    const flights = new Map<string, Promise<Outcome<unknown>>>();
    for (const key of misses) {
      const flight = fetching.then(({ answers, error }) => {
        if (answers) return answers.get(key) ?? null;
        if (!(error instanceof SourceError)) return new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source could not be read`);
        const held = stale.get(key);
        if (!held) return error;
        if (held.value === NOT_FOUND) return null;
        markServedFromCache(held.value, true);
        return held.value as V;
      });
      const cacheKey = this.key(namespace, key);
      flights.set(key, flight);
      this.inFlight.set(cacheKey, flight);
      void flight.finally(() => {
        if (this.inFlight.get(cacheKey) === flight) this.inFlight.delete(cacheKey);
      });
    }

    const { answers, error } = await fetching;
    if (!answers && !(error instanceof SourceError)) throw error;
    const freshUntil = Date.now() + this.ttlMs;
    for (const key of misses) {
      const cacheKey = this.key(namespace, key);
      if (answers) {
        const value = answers.get(key);
        // An invalidation that arrived during the fetch wins: its answer may predate the change.
        // The answer does not wait for the store to confirm its copy: this process holds it at
        // once, the store absorbs its own failures (it never rejects), and a slow or hung store
        // must not hold an officer's answer. Another replica may miss it for that moment.
        if (this.inFlight.get(cacheKey) === flights.get(key)) void this.store.set(cacheKey, encodeEntry(freshUntil, value), this.ttlMs + this.staleMs);
        if (value !== undefined) found.set(key, value);
        continue;
      }
      const outcome = (await flights.get(key)) as Outcome<V>;
      if (outcome instanceof SourceError) {
        found.set(key, outcome);
      } else {
        this.counters.staleServed++;
        if (outcome !== null) found.set(key, outcome);
      }
    }
  }

  /** Wraps a one-key fetch (sources that take one ID per call); a failure is thrown. */
  one<V>(namespace: string, fetch: (key: string) => Promise<V | null>): (key: string) => Promise<V | null> {
    const batched = this.batch<V>(namespace, async ([key]) => {
      const value = await fetch(key);
      return value === null ? new Map() : new Map([[key, value]]);
    });
    return async (key) => {
      const outcome = (await batched([key])).get(key);
      if (outcome instanceof SourceError) throw outcome;
      return outcome ?? null;
    };
  }

  /** Drops the cached answers about these keys, here and in the shared store. */
  async invalidate(namespace: string, keys: readonly string[]): Promise<void> {
    const cacheKeys = keys.map((key) => this.key(namespace, key));
    for (const cacheKey of cacheKeys) this.inFlight.delete(cacheKey);
    await this.store.delete(cacheKeys);
  }

  /** Drops every answer about these citizens that this cache holds (its personal namespaces). */
  async dropPersons(personalIds: readonly string[]): Promise<void> {
    await Promise.all(this.personalNamespaces.map((namespace) => this.invalidate(namespace, personalIds)));
  }

  /**
   * Drops the answers about these citizens and tells every replica to do the same. Resolves false
   * when the message could not be sent (Redis unreachable): only this process dropped them.
   */
  async invalidatePersons(personalIds: readonly string[]): Promise<boolean> {
    await this.dropPersons(personalIds);
    return this.bus ? this.bus.publish({ personalIds: [...personalIds], sources: [this.source] }) : true;
  }

  /** Another process (or subgraph) dropped these citizens' answers from the shared store: drop our copies. */
  private async onInvalidation(message: InvalidationMessage): Promise<void> {
    if (message.sources && !message.sources.includes(this.source)) return;
    const keys = this.personalNamespaces.flatMap((namespace) => message.personalIds.map((id) => this.key(namespace, id)));
    for (const key of keys) this.inFlight.delete(key);
    await this.store.dropLocal(keys);
  }

  /** Whether this cache holds answers about citizens (and so takes part in invalidation). */
  get personal(): boolean {
    return this.personalNamespaces.length > 0;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.options.backend) await this.options.backend.close();
    else if (!this.options.store) await this.store.close();
  }
}

export interface SourceCacheWiring {
  /** Namespaces whose keys are personalIds, dropped when a citizen's records change. */
  personalNamespaces?: readonly string[];
}

/** The cache for one source, sized, timed and stored as the subgraph's configuration says. */
export function sourceCacheFor(source: SourceName, config: CacheConfig, wiring: SourceCacheWiring = {}): SourceCache {
  const ttlMs = config.cacheTtlMs[source];
  if (ttlMs <= 0) return new SourceCache(source, { ttlMs: 0 });
  const { backend, release } = acquireBackend(config);
  return new SourceCache(source, {
    ttlMs,
    staleIfErrorMs: config.staleIfErrorMs?.[source] ?? 0,
    store: backend.store,
    bus: backend.bus,
    backend: { close: release },
    prefix: `sc:${config.name}:${source}`,
    personalNamespaces: wiring.personalNamespaces,
  });
}
