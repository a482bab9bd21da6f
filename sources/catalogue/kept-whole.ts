/**
 * Today's catalogue kept whole in the process: every commune, fetched at start and again before it
 * expires. Units change only by resolution, a few times a year, and the whole catalogue is one
 * call per province; kept so, placing a record's commune in its province (the jurisdiction of
 * every personal record) costs no call, and a cold dossier no round trip to the catalogue. While
 * nothing current is kept (not started, every fetch failed, expired), look-ups go to the source
 * code by code as before.
 */
/** What is kept: a unit known by its code (the client's CommuneRecord). */
interface Unit {
  code: string;
}

export interface KeptCatalogueOptions<T extends Unit> {
  /** How long one fetch is served (the catalogue's cache TTL); refreshed at nine tenths of it. */
  ttlMs: number;
  /** The whole catalogue's communes; rejects unless every province arrived. */
  fetch: () => Promise<T[]>;
  /** After a failed fetch, the next attempt (at most a tenth of the TTL). */
  retryMs?: number;
  /** Told of a failed fetch (the previous one is served until it expires). */
  onFailure?: (error: unknown) => void;
  now?: () => number;
}

const DEFAULT_RETRY_MS = 60_000;

export class KeptCatalogue<T extends Unit> {
  private kept: { communes: ReadonlyMap<string, T>; until: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: KeptCatalogueOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** Every commune of the catalogue by code, while a fetch is current; otherwise undefined. */
  current(): ReadonlyMap<string, T> | undefined {
    return this.kept && this.kept.until > this.now() ? this.kept.communes : undefined;
  }

  /**
   * Fetches the catalogue now and schedules the next fetch. Resolves once it is kept; rejects
   * with the failure, after which the previous fetch (if any) is served until it expires.
   */
  async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const { ttlMs } = this.options;
    try {
      const communes = await this.options.fetch();
      if (this.stopped) return;
      this.kept = { communes: new Map(communes.map((commune) => [commune.code, commune])), until: this.now() + ttlMs };
      this.schedule(Math.floor(ttlMs * 0.9));
    } catch (error) {
      if (!this.stopped) this.schedule(Math.min(this.options.retryMs ?? DEFAULT_RETRY_MS, Math.ceil(ttlMs / 10)));
      throw error;
    }
  }

  /** No further fetch; what is kept is dropped. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.kept = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.refresh().catch((error: unknown) => this.options.onFailure?.(error)), delayMs);
    // Keeping the catalogue never keeps the process alive.
    this.timer.unref();
  }
}
