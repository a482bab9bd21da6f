/**
 * What every audit sink shares: group commit and chaining a batch. Records from concurrent
 * appends are queued while one batch is being made durable, then committed together as the next
 * batch; each caller is answered only once its batch is durable. A batch that fails rejects every
 * caller in it with AuditUnavailableError: nothing of it is acknowledged.
 *
 * Under load, batches can be held apart by a minimum interval (PostgreSQL's `commit_delay`, MySQL's
 * `binlog_group_commit_sync_delay`): a durable write costs about the same CPU whether it carries one
 * record or twenty (an O_DSYNC append about 160 µs here), so records arriving within the interval
 * share one. A batch due after a quiet spell starts at once: the interval only ever delays a batch
 * that follows another closely, and by no more than the interval.
 */
import { AuditEntry, AuditRecord, chainEntry } from './entry';
import { AuditUnavailableError } from './sink';

/** Chains records after the entry `seq` whose hash is `prevHash`. */
export function chainRecords(seq: number, prevHash: string, records: AuditRecord[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const record of records) {
    const entry = chainEntry(++seq, prevHash, record);
    prevHash = entry.hash;
    entries.push(entry);
  }
  return entries;
}

interface Pending {
  records: AuditRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface GroupCommitOptions {
  /** Under load, the shortest time from the start of one batch to the start of the next, in ms; default 0 (none). */
  commitIntervalMs?: number;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private lastStartedAt = Number.NEGATIVE_INFINITY;

  /**
   * `commit` makes one batch durable (the records of its callers, in the order they asked),
   * resolving only when it is; batches never overlap.
   */
  constructor(
    private readonly commit: (records: AuditRecord[]) => Promise<void>,
    private readonly options: GroupCommitOptions = {},
  ) {}

  append(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.idle = this.run();
      }
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const wait = this.lastStartedAt + (this.options.commitIntervalMs ?? 0) - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastStartedAt = performance.now();
        const batch = this.queue;
        this.queue = [];
        try {
          await this.commit(batch.flatMap((pending) => pending.records));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          const refusal = error instanceof AuditUnavailableError ? error : new AuditUnavailableError(error);
          for (const pending of batch) pending.reject(refusal);
        }
      }
    } finally {
      // Set in the same turn as the empty-queue check: an append after it starts a new run.
      this.writing = false;
    }
  }

  /** Resolves once every append made so far has been answered. */
  async drain(): Promise<void> {
    while (this.writing) await this.idle;
  }
}
